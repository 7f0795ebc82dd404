import { describe, expect, test } from 'bun:test';
import { McpSessions } from '../../src/domain/mcp/sessions';
import { hostAllowed, originAllowed } from '../../src/domain/mcp/origin-check';

describe('MCP sessions', () => {
  test('bound to key and server; forgotten after the idle timeout', () => {
    let now = 1_000_000;
    const sessions = new McpSessions(60_000, () => now);
    const s = sessions.create('everything', 7, 'upstream-1');
    expect(s.id).toMatch(/^mcp_[A-Za-z0-9]{32}$/);
    expect(sessions.get(s.id, 'everything', 7)?.upstreamId).toBe('upstream-1');
    expect(sessions.get(s.id, 'everything', 8)).toBeUndefined();
    expect(sessions.get(s.id, 'other', 7)).toBeUndefined();
    now += 59_000;
    expect(sessions.get(s.id, 'everything', 7)).toBeDefined(); // use keeps it alive
    now += 61_000;
    expect(sessions.get(s.id, 'everything', 7)).toBeUndefined();
    sessions.close();
  });

  test('Host and Origin allow-lists with port wildcards', () => {
    const hosts = ['localhost:*', '127.0.0.1:*', 'gateway.example.org'];
    expect(hostAllowed('localhost:8000', hosts)).toBe(true);
    expect(hostAllowed('localhost', hosts)).toBe(true);
    expect(hostAllowed('gateway.example.org', hosts)).toBe(true);
    expect(hostAllowed('gateway.example.org:8443', hosts)).toBe(false);
    expect(hostAllowed('localhost.evil.example:80', hosts)).toBe(false);
    expect(hostAllowed(null, hosts)).toBe(false);
    expect(originAllowed(null, ['http://localhost:*'])).toBe(true);
    expect(originAllowed('http://localhost:3000', ['http://localhost:*'])).toBe(true);
    expect(originAllowed('https://evil.example', ['http://localhost:*'])).toBe(false);
  });
});

describe('MCP sessions per key', () => {
  test('at the cap a reservation is refused; ending a session or an idle one frees a place; other keys are unaffected', () => {
    let now = 1_000_000;
    const sessions = new McpSessions(3_600_000, () => now, 2);
    const a = sessions.create('s', 1, 'u-a', sessions.reserve(1));
    now += 1000;
    sessions.create('s', 1, 'u-b', sessions.reserve(1));
    expect(sessions.reserve(1)).toBeUndefined(); // both used within the last minute
    expect(sessions.reserve(2)).toBeDefined();
    sessions.delete(a.id);
    const slot = sessions.reserve(1)!;
    expect(slot.evicted).toBeUndefined();
    slot.release(); // the initialize failed: the place is free again
    const c = sessions.create('s', 1, 'u-c', sessions.reserve(1));
    expect(sessions.reserve(1)).toBeUndefined();
    now += 61_000; // u-b and u-c idle for a minute: the least recently used gives its place
    sessions.get(c.id, 's', 1);
    const replacing = sessions.reserve(1)!;
    expect(replacing.evicted?.upstreamId).toBe('u-b');
    expect(sessions.countFor(1)).toBe(2);
    sessions.close();
  });

  test('reservations count: concurrent initializes cannot pass the cap together', () => {
    const sessions = new McpSessions(3_600_000, Date.now, 3);
    const slots = Array.from({ length: 10 }, () => sessions.reserve(5));
    expect(slots.filter(Boolean)).toHaveLength(3);
    sessions.close();
  });
});

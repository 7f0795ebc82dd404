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

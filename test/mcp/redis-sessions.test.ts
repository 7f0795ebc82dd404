/**
 * The shared MCP session store against a real redis-server, two stores (two "nodes", two connections) at
 * once: same semantics as the in-memory one (bound to key and server, idle timeout, cap with LRU eviction),
 * one write per session per touch interval, the cap exact under concurrent reservations from both nodes,
 * and the 'unavailable' refusal while Redis is away, with recovery without a new store.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { RedisMcpSessions } from '../../src/domain/mcp/redis-sessions';
import { Refusal } from '../../src/domain/refusal';
import { RedisLink } from '../../src/store/redis/redis-link';
import { startRedis, type RedisService } from '../support/services/redis';

let redis: RedisService;
const links: RedisLink[] = [];
let now = 1_000_000_000;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  for (const l of links) l.close();
  await redis.stop();
});

/** Two nodes sharing one Redis, with the test's clock; a fresh prefix per test keeps tests apart. */
function nodes(o: { maxPerKey?: number; idleMs?: number } = {}) {
  const prefix = `t${Math.random().toString(36).slice(2)}:`;
  const make = () => {
    const link = new RedisLink(redis.url, { timeoutMs: 300, retryMs: 100 });
    links.push(link);
    return new RedisMcpSessions(link, { idleMs: o.idleMs ?? 60_000, maxPerKey: o.maxPerKey, prefix, touchMs: 5000, clock: () => now });
  };
  const direct = new RedisLink(redis.url, { timeoutMs: 300 });
  links.push(direct);
  return { a: make(), b: make(), redis: direct, prefix };
}

describe('MCP sessions in Redis', () => {
  test('opened on one node, found on the other; bound to key and server; unknown ids are not found', async () => {
    const { a, b } = nodes();
    const s = await a.create('everything', 7, 'upstream-1');
    expect(s.id).toMatch(/^mcp_[A-Za-z0-9]{32}$/);
    expect(await b.get(s.id, 'everything', 7)).toMatchObject({ id: s.id, upstreamId: 'upstream-1', server: 'everything', keyId: 7 });
    expect(await b.get(s.id, 'everything', 8)).toBeUndefined();
    expect(await b.get(s.id, 'other', 7)).toBeUndefined();
    expect(await b.get(`mcp_${'x'.repeat(32)}`, 'everything', 7)).toBeUndefined();
    expect(await b.get('not-an-id}:live', 'everything', 7)).toBeUndefined();
    await b.end(s);
    expect(await a.get(s.id, 'everything', 7)).toBeUndefined();
  });

  test('idle timeout: TTL idle + touch interval, renewed by use at most once per touch interval', async () => {
    const { a, b, redis: r, prefix } = nodes({ idleMs: 60_000 });
    const s = await a.create('srv', 1, 'u');
    const hash = `${prefix}{k:1}:s:${s.id}`;
    const ttl = async () => Number(await r.send('PTTL', [hash]));
    expect(await ttl()).toBeGreaterThan(64_000); // 60 s + 5 s
    // Used 4 s later: within the touch interval, so no write (last use unchanged).
    now += 4000;
    expect((await b.get(s.id, 'srv', 1))?.lastUsed).toBe(s.lastUsed);
    // 6 s after creation: marked used now, TTL renewed.
    now += 2000;
    await r.send('PEXPIRE', [hash, '1000']);
    expect((await b.get(s.id, 'srv', 1))?.lastUsed).toBe(now);
    expect(await ttl()).toBeGreaterThan(64_000);
    // Gone once the TTL lapses (shortened here instead of waiting a minute).
    await r.send('PEXPIRE', [hash, '1']);
    await Bun.sleep(20);
    expect(await a.get(s.id, 'srv', 1)).toBeUndefined();
  });

  test('cap 3, 20 concurrent reservations from two nodes: exactly 3 places; releasing frees one', async () => {
    const { a, b } = nodes({ maxPerKey: 3 });
    const slots = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).reserve(5)));
    const held = slots.filter((s) => s !== undefined);
    expect(held).toHaveLength(3);
    expect(await a.reserve(6)).toBeDefined(); // another key is not affected
    await a.create('srv', 5, 'u-0', held[0]);
    await b.create('srv', 5, 'u-1', held[1]);
    held[2]!.release();
    await Bun.sleep(50); // release is not awaited by its caller
    const again = await a.reserve(5);
    expect(again).toBeDefined();
    expect(again!.evicted).toBeUndefined();
    expect(await b.reserve(5)).toBeUndefined();
  });

  test('at the cap the least recently used session gives its place once idle for a minute', async () => {
    const { a, b } = nodes({ maxPerKey: 2, idleMs: 3_600_000 });
    const first = await a.create('srv', 9, 'u-first', await a.reserve(9));
    now += 1000;
    const second = await b.create('srv', 9, 'u-second', await b.reserve(9));
    expect(await a.reserve(9)).toBeUndefined();
    now += 61_000;
    await a.get(first.id, 'srv', 9); // first is used again: second is now the least recently used
    const slot = await b.reserve(9);
    expect(slot?.evicted).toMatchObject({ id: second.id, upstreamId: 'u-second', server: 'srv' });
    expect(await a.get(second.id, 'srv', 9)).toBeUndefined();
    expect(await b.get(first.id, 'srv', 9)).toBeDefined();
  });

  test('a reservation whose node never finished the initialize lapses', async () => {
    const { a, b } = nodes({ maxPerKey: 1 });
    expect(await a.reserve(3)).toBeDefined(); // never created nor released
    expect(await b.reserve(3)).toBeUndefined();
    now += 60_001;
    expect(await b.reserve(3)).toBeDefined();
  });

  test('Redis away: every operation refuses with unavailable; back: works again with the same stores', async () => {
    const { a, b } = nodes();
    const s = await a.create('srv', 4, 'u');
    await redis.stop();
    for (const op of [() => a.get(s.id, 'srv', 4), () => b.reserve(4), () => b.create('srv', 4, 'u2'), () => a.end(s)]) {
      const err = await op().catch((e) => e);
      expect(err).toBeInstanceOf(Refusal);
      expect(err).toMatchObject({ kind: 'unavailable', code: 'mcp_sessions_unavailable', retryAfterMs: 1000 });
    }
    await redis.restart();
    // Each link reconnects on its own (at most once per retryMs): retry until it has.
    const eventually = async <T>(op: () => Promise<T>): Promise<T> => {
      for (const end = Date.now() + 5000; ; await Bun.sleep(50)) {
        try {
          return await op();
        } catch (err) {
          if (Date.now() > end) throw err;
        }
      }
    };
    const created = await eventually(() => b.create('srv', 4, 'u3'));
    expect(await eventually(() => a.get(created.id, 'srv', 4))).toMatchObject({ upstreamId: 'u3' });
    expect(await a.get(s.id, 'srv', 4)).toBeUndefined(); // the restarted Redis kept nothing
  });
});

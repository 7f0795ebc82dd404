/**
 * The shared rate limiter against a real redis-server: two limiters on separate connections stand for two
 * nodes. Exactness under concurrency across nodes, pools, multipliers, token limits, the sliding window and
 * Retry-After, parity with the in-memory limiter, and what happens when Redis goes away and comes back.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { InMemoryRateLimiter, type Pool, type RateDecision } from '../../src/domain/rate-limiter';
import { RedisRateLimiter, type RedisFailureMode } from '../../src/domain/redis-rate-limiter';
import { Refusal } from '../../src/domain/refusal';
import { RedisLink } from '../../src/store/redis/redis-link';
import { startRedis, type RedisService } from '../support/services/redis';

let redis: RedisService;
const links: RedisLink[] = [];
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  for (const l of links) l.close();
  await redis.stop();
});

/** A "node": its own connection and limiter. A fresh prefix per test keeps tests apart on one server. */
function node(prefix: string, o: { clock?: () => number; failure?: RedisFailureMode; onChange?: (up: boolean) => void; onError?: (err: unknown) => void } = {}) {
  const link = new RedisLink(redis.url, { timeoutMs: 200, retryMs: 50, onChange: o.onChange });
  links.push(link);
  return { link, limiter: new RedisRateLimiter(link, { prefix, clock: o.clock, failure: o.failure, onError: o.onError }) };
}
let n = 0;
const fresh = () => `t${++n}:`;
const rpm = (r: number | null, itpm: number | null = null, otpm: number | null = null) => ({ rpm: r, itpm, otpm });
const NONE = rpm(null);

describe('two nodes sharing one Redis', () => {
  test('200 concurrent admits split across both nodes against rpm 50 → exactly 50 admitted', async () => {
    const p = fresh();
    const [a, b] = [node(p).limiter, node(p).limiter];
    const calls = Array.from({ length: 200 }, (_, i) => (i % 2 ? a : b).admit(1, rpm(50), 1));
    const results = await Promise.all(calls);
    expect(results.filter((r) => r.allowed)).toHaveLength(50);
    const refused = results.find((r) => !r.allowed)!;
    expect(refused.exceeded).toEqual(['Request limit (50/min)']);
    expect(refused.state.requests).toMatchObject({ limit: 50, remaining: 0 });
    expect(refused.retryAfterMs).toBeGreaterThan(58_000);
    expect(refused.retryAfterMs).toBeLessThanOrEqual(60_000);
  });

  test('a pool is shared by its keys across nodes; refusals name it; each key keeps its own budget too', async () => {
    const p = fresh();
    const [a, b] = [node(p).limiter, node(p).limiter];
    const team: Pool = { id: 'team:1', label: 'Team', limits: rpm(10) };
    const results = await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 ? a.admit(1, rpm(100), 1, [team]) : b.admit(2, rpm(100), 1, [team]))));
    expect(results.filter((r) => r.allowed)).toHaveLength(10);
    expect(results.find((r) => !r.allowed)!.exceeded).toEqual(['Team request limit (10/min)']);
    // A key outside the pool is not affected; a key's own limit binds before the pool's.
    expect((await a.admit(3, rpm(1), 1)).allowed).toBe(true);
    const org: Pool = { id: 'org:1', label: 'Org', limits: rpm(100) };
    expect((await b.admit(4, rpm(1), 1, [org])).allowed).toBe(true);
    const own = await a.admit(4, rpm(1), 1, [org]);
    expect(own.exceeded).toEqual(['Request limit (1/min)']);
    // Refused calls cost nothing: the org pool counted one call, not two.
    expect((await b.admit(5, NONE, 1, [org])).state.requests).toMatchObject({ limit: 100, remaining: 98 });
  });

  test('request_limit_multiplier: cost 1/2 lets 2N pass, cost 2 lets N/2 (rounded up)', async () => {
    const p = fresh();
    const [a, b] = [node(p).limiter, node(p).limiter];
    const count = async (key: number, cost: number, tries: number) => (await Promise.all(Array.from({ length: tries }, (_, i) => (i % 2 ? a : b).admit(key, rpm(3), cost)))).filter((r) => r.allowed).length;
    expect(await count(1, 0.5, 10)).toBe(6);
    expect(await count(2, 2, 6)).toBe(2);
    expect(await count(3, 1, 6)).toBe(3);
  });

  test('token limits refuse the call after the one that crossed them, on every node', async () => {
    const p = fresh();
    const [a, b] = [node(p), node(p)];
    const limits = rpm(null, 100, 50);
    expect((await a.limiter.admit(1, limits, 1)).allowed).toBe(true);
    expect((await b.limiter.admit(1, limits, 1)).allowed).toBe(true); // a call in flight does not block others
    a.limiter.addTokens(1, 10, 60); // the first call ends over the output limit
    await a.limiter.drain();
    const next = await b.limiter.admit(1, limits, 1);
    expect(next.allowed).toBe(false);
    expect(next.exceeded).toEqual(['Output token limit (50/min)']);
    expect(next.state.outputTokens).toMatchObject({ limit: 50, remaining: 0 });
    expect(next.state.inputTokens).toMatchObject({ limit: 100, remaining: 90 });
  });

  test("Redis's clock: a fresh window resets in a minute whatever the node's clock says", async () => {
    const { limiter } = node(fresh());
    const d = await limiter.admit(1, rpm(5), 1);
    expect(d.state.requests!.remaining).toBe(4);
    expect(d.state.requests!.resetMs).toBeGreaterThan(58_000);
    expect(d.state.requests!.resetMs).toBeLessThanOrEqual(60_000);
  });
});

describe('the sliding window (a clock passed to the scripts)', () => {
  test('budget comes back as the window slides, and Retry-After says when', async () => {
    let now = 1_000_000_000_000;
    const p = fresh();
    const [a, b] = [node(p, { clock: () => now }).limiter, node(p, { clock: () => now }).limiter];
    const limits = rpm(2);
    expect((await a.admit(1, limits, 1)).allowed).toBe(true);
    now += 20_000;
    expect((await b.admit(1, limits, 1)).allowed).toBe(true);
    const refused = await a.admit(1, limits, 1);
    expect(refused.allowed).toBe(false);
    expect(refused.retryAfterMs).toBe(40_000); // when the first request leaves the window
    now += 39_999;
    expect((await b.admit(1, limits, 1)).allowed).toBe(false);
    now += 1;
    expect((await b.admit(1, limits, 1)).allowed).toBe(true);
    expect((await a.admit(1, limits, 1)).allowed).toBe(false);
    now += 120_000; // a window left idle for longer than a minute starts empty
    expect((await a.admit(1, limits, 1)).state.requests).toMatchObject({ remaining: 1, resetMs: 60_000 });
  });

  test('gives the in-memory limiter\'s answers, decision for decision (random calls, pools, costs, tokens, time)', async () => {
    let now = 1_700_000_000_000;
    const { limiter: redisLimiter } = node(fresh(), { clock: () => now });
    const memory = new InMemoryRateLimiter(() => now);
    let seed = 42;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const keyLimits = [rpm(3), rpm(null, 200, 100), rpm(5, 500, null), NONE];
    const team: Pool = { id: 'team:9', label: 'Team', limits: rpm(6, null, 300) };
    const costs = [1, 0.5, 2, 1 / 3];
    let allowed = 0;
    let refused = 0;
    for (let i = 0; i < 400; i++) {
      now += Math.floor(rnd() * 4000);
      const key = Math.floor(rnd() * 4);
      const pools = key % 2 === 0 ? [team] : [];
      if (rnd() < 0.3) {
        const input = Math.floor(rnd() * 80);
        const output = Math.floor(rnd() * 60);
        memory.addTokens(key, input, output, pools);
        redisLimiter.addTokens(key, input, output, pools);
        await redisLimiter.drain();
        continue;
      }
      const cost = costs[Math.floor(rnd() * costs.length)]!;
      const want: RateDecision = memory.admit(key, keyLimits[key]!, cost, pools);
      const got = await redisLimiter.admit(key, keyLimits[key]!, cost, pools);
      expect({ i, ...got }).toEqual({ i, ...want });
      if (want.allowed) allowed++;
      else refused++;
    }
    // The sequence exercised both outcomes.
    expect(allowed).toBeGreaterThan(50);
    expect(refused).toBeGreaterThan(50);
    memory.close();
  });
});

describe('when Redis goes away', () => {
  test("closed: keys with limits are refused ('unavailable', Retry-After 1 s), keys without pass; back when Redis is", async () => {
    const changes: boolean[] = [];
    const { limiter } = node(fresh(), { onChange: (up) => changes.push(up) });
    expect((await limiter.admit(1, rpm(100), 1)).allowed).toBe(true);
    await redis.stop();
    try {
      for (let i = 0; i < 20; i++) {
        const err = await limiter.admit(1, rpm(100), 1).then(() => undefined, (e) => e);
        expect(err).toBeInstanceOf(Refusal);
        expect(err).toMatchObject({ kind: 'unavailable', code: 'rate_limits_unavailable', retryAfterMs: 1000 });
      }
      // A pool's limit counts as a limit; no limits anywhere means nothing to count.
      await expect(limiter.admit(2, NONE, 1, [{ id: 'org:1', label: 'Org', limits: rpm(5) }])).rejects.toBeInstanceOf(Refusal);
      expect((await limiter.admit(3, NONE, 1, [{ id: 'org:2', label: 'Org', limits: NONE }])).allowed).toBe(true);
      limiter.addTokens(1, 5, 5); // dropped, never thrown
      await limiter.drain();
    } finally {
      await redis.restart();
    }
    const back = await eventually(() => limiter.admit(1, rpm(100), 1));
    expect(back.allowed).toBe(true);
    expect(back.state.requests!.remaining).toBe(99); // a restarted Redis is empty: only this call is counted
    expect(changes).toEqual([false, true]); // one transition each way, not one per call
  });

  test('open: the node counts in memory while Redis is away (per-node limits), and shares again when it is back', async () => {
    const p = fresh();
    const [na, nb] = [node(p, { failure: 'open' }), node(p, { failure: 'open' })];
    const [a, b] = [na.limiter, nb.limiter];
    expect((await a.admit(1, rpm(3), 1)).allowed).toBe(true);
    await redis.stop();
    try {
      // Each node now has its own budget of 3.
      const local = await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 ? a : b).admit(1, rpm(3), 1)));
      expect(local.filter((r) => r.allowed)).toHaveLength(6);
    } finally {
      await redis.restart();
    }
    // Calls never fail in this mode, so wait for the links themselves to reconnect.
    await eventually(() => na.link.send('PING', []));
    await eventually(() => nb.link.send('PING', []));
    const shared = await a.admit(1, rpm(3), 1);
    expect(shared.state.requests!.remaining).toBe(2); // counted in Redis again (empty after the restart)
    expect((await Promise.all([a.admit(1, rpm(3), 1), b.admit(1, rpm(3), 1), b.admit(1, rpm(3), 1)])).filter((r) => r.allowed)).toHaveLength(2);
  });

  test('a stalled Redis does not hang calls: they fail within the deadline, and pass again when it answers', async () => {
    const { limiter } = node(fresh());
    expect((await limiter.admit(1, rpm(100), 1)).allowed).toBe(true);
    redis.pause();
    try {
      const started = performance.now();
      await expect(limiter.admit(1, rpm(100), 1)).rejects.toBeInstanceOf(Refusal);
      expect(performance.now() - started).toBeLessThan(1000); // deadline 200 ms
      // While it is down, calls are refused at once, without waiting for the deadline again.
      const again = performance.now();
      await expect(limiter.admit(1, rpm(100), 1)).rejects.toBeInstanceOf(Refusal);
      expect(performance.now() - again).toBeLessThan(150);
    } finally {
      redis.resume();
    }
    const back = await eventually(() => limiter.admit(1, rpm(100), 1));
    expect(back.allowed).toBe(true);
  });
});

test('a Redis replaced by a silent listener (connections accepted, nothing answered) does not hang calls either', async () => {
  const { limiter } = node(fresh());
  expect((await limiter.admit(1, rpm(100), 1)).allowed).toBe(true);
  await redis.stop();
  const silent = Bun.listen({ hostname: '127.0.0.1', port: redis.port, socket: { data() {} } });
  try {
    for (let i = 0; i < 5; i++) {
      const started = performance.now();
      await expect(limiter.admit(1, rpm(100), 1)).rejects.toMatchObject({ kind: 'unavailable' });
      expect(performance.now() - started).toBeLessThan(1000); // the command deadline (200 ms), not the 2 s connect one
    }
  } finally {
    silent.stop(true);
    await redis.restart();
  }
  expect((await eventually(() => limiter.admit(1, rpm(100), 1))).allowed).toBe(true);
});

test('Redis answering with an error (out of memory) counts as down for the call, and is reported', async () => {
  const errors: string[] = [];
  const changes: boolean[] = [];
  const { link, limiter } = node(fresh(), { onError: (e) => errors.push((e as Error).message), onChange: (up) => changes.push(up) });
  expect((await limiter.admit(1, rpm(10), 1)).allowed).toBe(true);
  await link.send('CONFIG', ['SET', 'maxmemory', '1']);
  try {
    await expect(limiter.admit(1, rpm(10), 1)).rejects.toMatchObject({ kind: 'unavailable' });
    expect(errors.join('\n')).toContain('OOM');
    expect(link.up).toBe(true); // the server is there: no reconnection, no outage logged
    expect(changes).toEqual([]);
  } finally {
    await link.send('CONFIG', ['SET', 'maxmemory', '0']);
  }
  expect((await limiter.admit(1, rpm(10), 1)).state.requests!.remaining).toBe(8);
});

/** Retries fn until it resolves (the link reconnects at most every 50 ms here), for up to 5 s. */
async function eventually<T>(fn: () => Promise<T>): Promise<T> {
  const until = Date.now() + 5000;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      if (Date.now() > until) throw err;
      await Bun.sleep(25);
    }
  }
}

/**
 * `bun bench/redis-limiter.ts [--admits 20000]`: what sharing rate limits through Redis adds to a call.
 * One admit at a time (the latency a call sees) against the in-memory limiter and the Redis one on
 * loopback (a redis-server started here, as in the tests), for a key alone and a key with a team pool;
 * then many at once (throughput with Bun's auto-pipelining). Needs redis-server (`make test-tools`).
 */
import { InMemoryRateLimiter, type Pool, type RateLimiter } from '../src/domain/rate-limiter';
import { RedisRateLimiter } from '../src/domain/redis-rate-limiter';
import { RedisLink } from '../src/store/redis/redis-link';
import { startRedis } from '../test/support/services/redis';

const argv = process.argv.slice(2);
const admits = Number(argv[argv.indexOf('--admits') + 1] || 20_000);
const KEYS = 100;
const limits = { rpm: 1_000_000_000, itpm: 1_000_000_000, otpm: null };
const team: Pool[] = [{ id: 'team:1', label: 'Team', limits: { rpm: 1_000_000_000, itpm: null, otpm: null } }];

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
const us = (ms: number) => `${(ms * 1000).toFixed(1)} µs`;

async function sequential(name: string, limiter: RateLimiter, pools: Pool[] = []): Promise<void> {
  for (let i = 0; i < 2000; i++) await limiter.admit(i % KEYS, limits, 1, pools); // warm-up
  const times = new Array<number>(admits);
  for (let i = 0; i < admits; i++) {
    const t = performance.now();
    const d = await limiter.admit(i % KEYS, limits, 1, pools);
    times[i] = performance.now() - t;
    if (!d.allowed) throw new Error('refused: the bench limits are meant to admit everything');
  }
  times.sort((a, b) => a - b);
  console.log(`${name.padEnd(34)} p50 ${us(pct(times, 50)).padStart(10)}  p99 ${us(pct(times, 99)).padStart(10)}  max ${us(times.at(-1)!).padStart(10)}`);
}

async function concurrent(name: string, limiter: RateLimiter, inFlight: number): Promise<void> {
  const t = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < admits) await limiter.admit(next++ % KEYS, limits, 1);
    }),
  );
  const s = (performance.now() - t) / 1000;
  console.log(`${name.padEnd(34)} ${Math.round(admits / s).toLocaleString('en')} admits/s`);
}

const redis = await startRedis();
const link = new RedisLink(redis.url, { timeoutMs: 1000 });
const other = new RedisLink(redis.url, { timeoutMs: 1000 });
try {
  const memory = new InMemoryRateLimiter();
  const shared = new RedisRateLimiter(link, { prefix: `bench${Date.now()}:` });
  console.log(`${admits.toLocaleString('en')} admits per row, ${KEYS} keys, one at a time (the latency a call sees):`);
  await sequential('in memory, key', memory);
  await sequential('redis (loopback), key', shared);
  await sequential('in memory, key + team pool', memory, team);
  await sequential('redis (loopback), key + team pool', shared, team);
  console.log('many at once (throughput):');
  await concurrent('redis, 64 in flight, 1 connection', shared, 64);
  const second = new RedisRateLimiter(other, { prefix: `bench${Date.now()}:` });
  const t = performance.now();
  await Promise.all([concurrent('  node A of two (64 in flight)', shared, 64), concurrent('  node B of two (64 in flight)', second, 64)]);
  console.log(`two nodes together: ${Math.round((2 * admits) / ((performance.now() - t) / 1000)).toLocaleString('en')} admits/s`);
  memory.close();
} finally {
  link.close();
  other.close();
  await redis.stop();
}

/**
 * Two gateways ("nodes") sharing one database and one Redis: a key's rpm holds across both exactly, the
 * excess gets the OpenAI-shaped 429; Redis stopped mid-load gives the documented failure behaviour
 * (closed: 503 for keys with limits, keys without pass; open: per-node limits), and calls are admitted
 * again when Redis is back, without restarting the gateways.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from '../../src/log';
import { expectOpenAIError, testGateway, type TestGateway } from '../support/app';
import { MockUpstream } from '../support/mock-upstream';
import { startRedis, type RedisService } from '../support/services/redis';

const mock = new MockUpstream(false).start();
afterAll(() => mock.stop());
const routerYaml = () => `
model_list:
  - model_name: m
    litellm_params: { model: openai/up, api_base: "${mock.base('m')}" }
`;
const chat = { model: 'm', messages: [{ role: 'user', content: 'x' }] };

interface Cluster {
  redis: RedisService;
  nodes: [TestGateway, TestGateway];
  lines: string[];
  /** A new user's key, made on node 0, with user-level limits; both nodes know it. */
  key(limits?: { rpm?: number }): Promise<string>;
  close(): Promise<void>;
}

async function cluster(failure: 'closed' | 'open'): Promise<Cluster> {
  const redis = await startRedis();
  const dir = mkdtempSync(join(tmpdir(), 'aq-nodes-'));
  const lines: string[] = [];
  const log: Logger = { debug() {}, info: (m) => lines.push(`info ${m}`), warn: (m) => lines.push(`warn ${m}`), error: (m) => lines.push(`error ${m}`) };
  const settings = { redisUrl: redis.url, redisFailure: failure, redisTimeout: 200 } as const;
  const nodes: [TestGateway, TestGateway] = [testGateway({ routerYaml: routerYaml(), settings, dataDir: dir, log }), testGateway({ routerYaml: routerYaml(), settings, dataDir: dir })];
  return {
    redis,
    nodes,
    lines,
    async key(limits = {}) {
      const email = `n${Math.random().toString(36).slice(2)}@example.com`;
      const key = nodes[0].newKey(email);
      if (Object.keys(limits).length) await nodes[0].directory.updateUser((await nodes[0].directory.userByEmail(email))!.id, limits);
      for (const n of nodes) n.keys.reload();
      return key;
    },
    async close() {
      for (const n of nodes) n.close();
      await redis.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const call = (gw: TestGateway, key: string) => gw.request('POST', '/v1/chat/completions', { key, body: chat });

/** Calls on `gw` until one is answered 200 (Redis reconnects at most once a second), up to 8 s. */
async function until200(gw: TestGateway, key: string, statuses: number[] = []): Promise<Response> {
  const end = Date.now() + 8000;
  for (;;) {
    const res = await call(gw, key);
    statuses.push(res.status);
    if (res.status === 200 || Date.now() > end) return res;
    await res.arrayBuffer();
    await Bun.sleep(100);
  }
}

describe('two gateways, one Redis (AQUEDUCT_REDIS_FAILURE=closed)', () => {
  let c: Cluster;
  beforeAll(async () => {
    c = await cluster('closed');
  });
  afterAll(() => c.close());

  test('rpm 10 across both nodes: 30 concurrent calls → exactly 10 pass; the rest get the OpenAI 429', async () => {
    const key = await c.key({ rpm: 10 });
    const responses = await Promise.all(Array.from({ length: 30 }, (_, i) => call(c.nodes[i % 2]!, key)));
    const ok = responses.filter((r) => r.status === 200);
    expect(ok).toHaveLength(10);
    for (const r of responses.filter((r) => r.status !== 200)) {
      const err = await expectOpenAIError(r, 429);
      expect(err).toMatchObject({ type: 'rate_limit_error', code: 'rate_limit_exceeded' });
      expect(err.message).toContain('Request limit (10/min)');
      expect(Number(r.headers.get('retry-after'))).toBeGreaterThan(50);
      expect(r.headers.get('x-ratelimit-remaining-requests')).toBe('0');
    }
    // Counted once for both nodes: each one now refuses.
    for (const n of c.nodes) await expectOpenAIError(await call(n, key), 429);
  });

  test('Redis stopped mid-load: limited keys get 503 (rate_limits_unavailable), unlimited keys pass; restarted: admitted again', async () => {
    const limited = await c.key({ rpm: 10_000 });
    const free = await c.key();
    // One call at a time, alternating nodes, each labelled with the phase it started in.
    let phase: 'before' | 'down' | 'after' = 'before';
    const seen: Record<'before' | 'down' | 'after', number[]> = { before: [], down: [], after: [] };
    let running = true;
    const load = (async () => {
      for (let i = 0; running; i++) {
        const at = phase;
        const res = await call(c.nodes[i % 2]!, limited);
        seen[at].push(res.status);
        if (res.status === 503) {
          const err = await expectOpenAIError(res, 503);
          expect(err).toMatchObject({ type: 'server_error', code: 'rate_limits_unavailable' });
          expect(res.headers.get('retry-after')).toBe('1');
        } else await res.arrayBuffer();
        await Bun.sleep(2);
      }
    })();
    await Bun.sleep(150);
    await c.redis.stop();
    phase = 'down';
    await Bun.sleep(300);
    // A key with no limits has nothing to count: it passes on both nodes.
    for (const n of c.nodes) expect((await call(n, free)).status).toBe(200);
    await c.redis.restart();
    phase = 'after';
    // Without restarting anything, both nodes admit again.
    const polled: number[] = [];
    expect((await until200(c.nodes[0], limited, polled)).status).toBe(200);
    expect((await until200(c.nodes[1], limited, polled)).status).toBe(200);
    running = false;
    await load;
    // Before the server was gone: 200s, then 503s once it was being killed (never a 200 after a 503).
    expect(seen.before.join(',')).toMatch(/^(200,){5,}200(,503)*$|^(200,){5,}(503,)*503$/);
    // Down: every call refused at once.
    expect(seen.down.length).toBeGreaterThan(5);
    expect(seen.down.every((s) => s === 503)).toBe(true);
    // After: 503s until each node reconnects (at most once a second), then 200s only; never anything else.
    expect(seen.after.every((s) => s === 503 || s === 200)).toBe(true);
    for (const n of c.nodes) expect((await call(n, limited)).status).toBe(200);
    // Refused while Redis was down: not calls, so no usage rows (like 429s), but counted in /metrics.
    const refused503 = [...seen.before, ...seen.down, ...seen.after, ...polled].filter((s) => s === 503).length;
    for (const n of c.nodes) expect(n.usageRows().filter((r) => r.status === 503)).toEqual([]);
    const metric = async (n: TestGateway) => Number(/aqueduct_rate_limits_unavailable_total\{model="m"\} (\d+)/.exec(await (await n.request('GET', '/metrics')).text())?.[1] ?? 0);
    expect((await metric(c.nodes[0])) + (await metric(c.nodes[1]))).toBe(refused503);
    // The outage and the recovery are logged once each, however many calls were refused.
    expect(c.lines.filter((l) => l.includes('redis unreachable'))).toHaveLength(1);
    expect(c.lines.filter((l) => l.includes('redis reachable again'))).toHaveLength(1);
  }, 20_000);
});

describe('two gateways, one Redis (AQUEDUCT_REDIS_FAILURE=open)', () => {
  let c: Cluster;
  beforeAll(async () => {
    c = await cluster('open');
  });
  afterAll(() => c.close());

  test('Redis away: each node enforces the limit on its own; back: the budget is shared again', async () => {
    const key = await c.key({ rpm: 3 });
    expect((await call(c.nodes[0], key)).status).toBe(200);
    await c.redis.stop();
    const local = await Promise.all(Array.from({ length: 10 }, (_, i) => call(c.nodes[i % 2]!, key)));
    expect(local.filter((r) => r.status === 200)).toHaveLength(6); // 3 per node
    for (const r of local.filter((r) => r.status !== 200)) await expectOpenAIError(r, 429);
    await c.redis.restart();
    // Each node's own budget is spent, so a 200 comes only from Redis (empty after its restart).
    const a = await until200(c.nodes[0], key);
    expect(a.status).toBe(200);
    expect(a.headers.get('x-ratelimit-remaining-requests')).toBe('2');
    const b = await until200(c.nodes[1], key);
    expect(b.status).toBe(200);
    expect(b.headers.get('x-ratelimit-remaining-requests')).toBe('1'); // it sees node 0's call
    expect((await call(c.nodes[0], key)).status).toBe(200);
    await expectOpenAIError(await call(c.nodes[1], key), 429);
    expect(c.lines.filter((l) => l.startsWith('warn redis unreachable'))).toHaveLength(1);
  }, 20_000);
});

describe('aqueduct check-config with AQUEDUCT_REDIS_URL', () => {
  const run = async (env: Record<string, string>) => {
    const { checkConfigCommand } = await import('../../src/cli/check-config');
    const out: string[] = [];
    const err: string[] = [];
    const code = await checkConfigCommand.run([], { out: (t) => out.push(t), err: (t) => err.push(t), env: { AQUEDUCT_DATA_DIR: mkdtempSync(join(tmpdir(), 'aq-cc-')), ...env } });
    return { code, out: out.join('\n'), err: err.join('\n') };
  };

  test('a reachable Redis is reported (password hidden); a wrong password, an unreachable Redis and a malformed URL are problems', async () => {
    const redis = await startRedis({ password: 's3cret' });
    const hidden = redis.url.replace('s3cret', '***');
    try {
      const ok = await run({ AQUEDUCT_REDIS_URL: redis.url, AQUEDUCT_REDIS_FAILURE: 'open' });
      expect(ok.err).toBe('');
      expect(ok.code).toBe(0);
      expect(ok.out).toContain(`rate limits shared through ${hidden} (when unreachable: open), MCP sessions too (when unreachable: 503)`);
      expect(ok.out).not.toContain('s3cret');
      const wrong = await run({ AQUEDUCT_REDIS_URL: redis.url.replace('s3cret', 'nope') });
      expect(wrong.code).toBe(1);
      expect(wrong.err).toContain('cannot use Redis:');
      expect(wrong.err).not.toContain('nope');
      await redis.stop();
      const down = await run({ AQUEDUCT_REDIS_URL: redis.url });
      expect(down.code).toBe(1);
      expect(down.err).toContain(`AQUEDUCT_REDIS_URL="${hidden}": cannot use Redis:`);
    } finally {
      await redis.stop();
    }
    const bad = await run({ AQUEDUCT_REDIS_URL: 'http://localhost:6379', AQUEDUCT_REDIS_FAILURE: 'maybe' });
    expect(bad.code).toBe(1);
    expect(bad.err).toContain('AQUEDUCT_REDIS_URL="http://localhost:6379": expected a redis:// or rediss:// URL');
    expect(bad.err).toContain('AQUEDUCT_REDIS_FAILURE="maybe": expected one of closed, open');
  });
});

/**
 * The compiled binary with AQUEDUCT_REDIS_URL: two `aqueduct serve` processes on one data dir (one database)
 * and one redis-server share a key's rpm exactly; with Redis gone, limited calls get the 503 and the outage is
 * logged once; with Redis back, both admit again without a restart. Needs dist/aqueduct (`make build`).
 */
import { afterAll, expect, test } from 'bun:test';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MockUpstream } from '../support/mock-upstream';
import { runBinary, startBinary, tempDir, type RunningBinary } from '../support/binary';
import { startRedis, type RedisService } from '../support/services/redis';

const mock = new MockUpstream(false).start();
let redis: RedisService | undefined;
const nodes: RunningBinary[] = [];
afterAll(async () => {
  for (const n of nodes) await n.stop();
  await redis?.stop();
  await mock.stop();
});

test('two binaries, one database, one Redis: rpm exact across both; 503 while Redis is away; admitted again after', async () => {
  redis = await startRedis();
  const cwd = tempDir('aq-bin-redis-');
  const dataDir = join(cwd, 'data');
  writeFileSync(join(cwd, 'router_config.yaml'), `model_list:\n  - model_name: m\n    litellm_params: { model: openai/up, api_base: "${mock.base('m')}" }\n`);
  const key = (await runBinary(['token', 'create', '--user', 'u@example.com', '--data-dir', dataDir], { cwd })).stdout.trim();
  expect(key).toMatch(/^sk-/);
  expect((await runBinary(['limits', 'set', '--user', 'u@example.com', '--rpm', '6', '--data-dir', dataDir], { cwd })).code).toBe(0);
  const env = { AQUEDUCT_REDIS_URL: redis.url, AQUEDUCT_ACCESS_LOG: 'off' };
  for (let i = 0; i < 2; i++) nodes.push(await startBinary({ cwd, args: ['--data-dir', dataDir, '--router-config', 'router_config.yaml'], env }));
  const call = (i: number) =>
    fetch(`${nodes[i % 2]!.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'x' }] }),
    });

  const first = await Promise.all(Array.from({ length: 20 }, (_, i) => call(i)));
  expect(first.filter((r) => r.status === 200)).toHaveLength(6);
  expect(first.filter((r) => r.status === 429)).toHaveLength(14);
  const refusal = (await first.find((r) => r.status === 429)!.json()) as { error: { code: string; message: string } };
  expect(refusal.error).toMatchObject({ code: 'rate_limit_exceeded' });
  expect(refusal.error.message).toContain('Request limit (6/min)');

  await redis.stop();
  for (let i = 0; i < 10; i++) {
    const res = await call(i);
    expect(res.status).toBe(503);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('rate_limits_unavailable');
  }
  for (const n of nodes) expect(n.log().match(/redis unreachable/g)).toHaveLength(1);

  await redis.restart(); // empty: the key's minute starts again
  for (let i = 0; i < 2; i++) {
    let status = 0;
    for (const end = Date.now() + 8000; status !== 200 && Date.now() < end; await Bun.sleep(100)) status = (await call(i)).status;
    expect(status).toBe(200);
    expect(nodes[i]!.log()).toContain('redis reachable again');
  }
}, 30_000);

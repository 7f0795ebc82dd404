/** kill -9 in the middle of a batch, twenty times: after the restarts it completes with every custom_id once. */
import { Database } from 'bun:sqlite';
import { afterAll, describe, expect, test } from 'bun:test';
import OpenAI, { toFile } from 'openai';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startBinary, tempDir, type RunningBinary } from '../support/binary';
import { MockUpstream } from '../support/mock-upstream';

describe('batches survive kill -9', () => {
  const mock = new MockUpstream().start();
  mock.profiles.set('k', { latencyMs: 100, chunkDelayMs: 0, extraWords: 0 });
  let gw: RunningBinary | undefined;
  afterAll(async () => {
    await gw?.stop('SIGKILL');
    await mock.stop();
  });

  test('no custom_id lost or duplicated, usage counted once per line', async () => {
    const cwd = tempDir('aq-batch-kill-');
    writeFileSync(join(cwd, 'router_config.yaml'), `model_list:\n  - model_name: m\n    litellm_params: { model: openai/up, api_base: "${mock.base('k')}" }\n`);
    // A short lease: a killed process's running lines run again (on the restarted one) a second after the kill.
    const env = { AQUEDUCT_BATCH_CONCURRENCY_PER_BATCH: '8', AQUEDUCT_BATCH_LEASE: '1s' };
    gw = await startBinary({ cwd, env });
    const key = readFileSync(join(cwd, 'data/initial-admin-key'), 'utf8').trim();
    const client = () => new OpenAI({ apiKey: key, baseURL: `${gw!.url}/v1`, maxRetries: 0 });
    const n = 400;
    const lines = Array.from({ length: n }, (_, i) => JSON.stringify({ custom_id: `k${i}`, method: 'POST', url: '/v1/chat/completions', body: { model: 'm', messages: [{ role: 'user', content: `n${i}` }] } }));
    const input = await client().files.create({ file: await toFile(Buffer.from(lines.join('\n')), 'in.jsonl'), purpose: 'batch' });
    const batch = await client().batches.create({ input_file_id: input.id, endpoint: '/v1/chat/completions', completion_window: '24h' });

    // Twenty kills, or as many as fit before the last line (a busy machine restarts slowly): at least ten mid-batch.
    let lastCompleted = 0;
    let kills = 0;
    for (let kill = 0; kill < 20 && lastCompleted < n; kill++) {
      // Let it make some progress, then kill it without warning and start again on the same data.
      for (let i = 0; i < 200; i++) {
        const b = await client().batches.retrieve(batch.id);
        if (b.request_counts!.completed >= lastCompleted + 10) break;
        await Bun.sleep(20);
      }
      if ((await client().batches.retrieve(batch.id)).request_counts!.completed < n) kills++;
      await gw.stop('SIGKILL');
      gw = await startBinary({ cwd, env });
      const b = await client().batches.retrieve(batch.id);
      expect(b.request_counts!.completed).toBeGreaterThanOrEqual(lastCompleted);
      lastCompleted = b.request_counts!.completed;
    }
    expect(kills).toBeGreaterThanOrEqual(10);
    let done = await client().batches.retrieve(batch.id);
    for (let i = 0; i < 400 && done.status !== 'completed'; i++) {
      await Bun.sleep(50);
      done = await client().batches.retrieve(batch.id);
    }
    expect(done.status).toBe('completed');
    expect(done.request_counts).toEqual({ total: n, completed: n, failed: 0 });
    const out = (await (await client().files.content(done.output_file_id!)).text()).trim().split('\n').map((l) => JSON.parse(l));
    expect(out).toHaveLength(n);
    expect(new Set(out.map((l) => l.custom_id)).size).toBe(n);
    for (const l of out) expect(l.response.body.choices[0].message.content).toBe(`echo: n${l.custom_id.slice(1)}`);
    const db = new Database(join(cwd, 'data/aqueduct.db'), { readonly: true });
    const usage = db.query<{ rows: number; lines: number }, [string]>('SELECT count(*) AS rows, count(DISTINCT request_id) AS lines FROM usage WHERE batch_id = ?').get(batch.id)!;
    db.close();
    expect(usage).toEqual({ rows: n, lines: n });
    // The upstream saw some lines twice (those in flight at a kill) — billing still counts each once.
    expect(mock.requestsTo('k').length).toBeGreaterThanOrEqual(n);
  }, 120_000);
});

/**
 * Heavy concurrent writes on one database: a batch recording its lines, live calls recorded by the usage
 * writer thread, admin API writes and CLI processes — no "database is locked", no 5xx, usage = successes.
 */
import { Database } from 'bun:sqlite';
import { afterAll, describe, expect, test } from 'bun:test';
import OpenAI, { toFile } from 'openai';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runBinary, startBinary, tempDir } from '../support/binary';
import { burst } from '../support/burst';
import { MockUpstream } from '../support/mock-upstream';

describe('concurrent writers', () => {
  const mock = new MockUpstream(false).start();
  mock.profiles.set('w', { latencyMs: 3, chunkDelayMs: 0, extraWords: 0 });
  afterAll(() => mock.stop());

  test('batch + live traffic + admin API + CLI at once', async () => {
    const cwd = tempDir('aq-writes-');
    writeFileSync(join(cwd, 'router_config.yaml'), `model_list:\n  - model_name: m\n    litellm_params: { model: openai/up, api_base: "${mock.base('w')}" }\n`);
    const gw = await startBinary({ cwd });
    const key = readFileSync(join(cwd, 'data/initial-admin-key'), 'utf8').trim();
    const client = new OpenAI({ apiKey: key, baseURL: `${gw.url}/v1`, maxRetries: 0 });
    const lines = Array.from({ length: 2000 }, (_, i) => JSON.stringify({ custom_id: `w${i}`, method: 'POST', url: '/v1/chat/completions', body: { model: 'm', messages: [{ role: 'user', content: `x${i}` }] } }));
    const input = await client.files.create({ file: await toFile(Buffer.from(lines.join('\n')), 'w.jsonl'), purpose: 'batch' });
    const batch = await client.batches.create({ input_file_id: input.id, endpoint: '/v1/chat/completions', completion_window: '24h' });

    const live = Promise.all([1, 2, 3].map(() => burst(`${gw.url}/v1/chat/completions`, 400, key, { model: 'm', messages: [{ role: 'user', content: 'live' }] })));
    const admin = Promise.all(
      Array.from({ length: 60 }, (_, i) =>
        fetch(`${gw.url}/admin/teams`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify({ name: `team-${i}`, rpm: 100 + i }) }).then((r) => r.status),
      ),
    );
    const cli = Promise.all(Array.from({ length: 8 }, (_, i) => runBinary(['token', 'create', '--user', `cli${i}@example.com`], { cwd }).then((r) => r.code)));
    const [liveStatuses, adminStatuses, cliCodes] = await Promise.all([live, admin, cli]);

    let done = await client.batches.retrieve(batch.id);
    for (let i = 0; i < 400 && done.status !== 'completed'; i++) {
      await Bun.sleep(50);
      done = await client.batches.retrieve(batch.id);
    }
    expect(done.request_counts).toEqual({ total: 2000, completed: 2000, failed: 0 });
    const ok = liveStatuses.flat().filter((s) => s === 200).length;
    expect(liveStatuses.flat().every((s) => s === 200)).toBe(true);
    expect(adminStatuses.every((s) => s === 200)).toBe(true);
    expect(cliCodes.every((c) => c === 0)).toBe(true);
    expect(await gw.stop('SIGTERM')).toBe(0);
    expect(gw.log()).not.toMatch(/database is locked|SQLITE_BUSY|ERROR/);
    const db = new Database(join(cwd, 'data/aqueduct.db'), { readonly: true });
    expect(db.query('SELECT count(*) AS n FROM usage WHERE batch_id IS NULL AND status = 200').get()).toEqual({ n: ok });
    expect(db.query('SELECT count(*) AS n FROM usage WHERE batch_id = ?').get(batch.id)).toEqual({ n: 2000 });
    db.close();
  }, 60_000);
});

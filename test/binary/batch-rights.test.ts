/**
 * Batches run with their creator's current rights, against the compiled binary: once the batch's key is
 * revoked (or its model excluded for the user), no further line starts within a second, and the batch
 * ends `failed` with the reason; every custom_id is in the output or the error file exactly once.
 */
import { afterAll, describe, expect, test } from 'bun:test';
import OpenAI, { toFile } from 'openai';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startBinary, tempDir, type RunningBinary } from '../support/binary';
import { MockUpstream } from '../support/mock-upstream';

describe('batches and the creator\'s rights', () => {
  const mock = new MockUpstream().start();
  mock.profiles.set('slow', { latencyMs: 50, chunkDelayMs: 0, extraWords: 0 });
  let gw: RunningBinary;
  let admin: OpenAI;
  const cwd = tempDir('aq-batch-rights-');
  afterAll(async () => {
    await gw?.stop('SIGKILL');
    await mock.stop();
  });

  const start = async () => {
    writeFileSync(join(cwd, 'router_config.yaml'), `model_list:\n  - model_name: m\n    litellm_params: { model: openai/up, api_base: "${mock.base('slow')}" }\n`);
    gw = await startBinary({ cwd, env: { AQUEDUCT_BATCH_CONCURRENCY_PER_BATCH: '4' } });
    admin = new OpenAI({ apiKey: readFileSync(join(cwd, 'data/initial-admin-key'), 'utf8').trim(), baseURL: `${gw.url}/v1`, maxRetries: 0 });
  };

  /** A user with a key, and a 300-line batch of theirs that has started. */
  async function startedBatch(email: string) {
    const created = (await (await fetch(`${gw.url}/admin/users`, { method: 'POST', headers: { authorization: `Bearer ${admin.apiKey}`, 'content-type': 'application/json' }, body: JSON.stringify({ email }) })).json()) as { id: number };
    const keyRes = (await (await fetch(`${gw.url}/admin/keys`, { method: 'POST', headers: { authorization: `Bearer ${admin.apiKey}`, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'batch', user_id: created.id }) })).json()) as { id: number; key: string };
    const client = new OpenAI({ apiKey: keyRes.key, baseURL: `${gw.url}/v1`, maxRetries: 0 });
    const lines = Array.from({ length: 300 }, (_, i) => JSON.stringify({ custom_id: `c${i}`, method: 'POST', url: '/v1/chat/completions', body: { model: 'm', messages: [{ role: 'user', content: `n${i}` }] } }));
    const input = await client.files.create({ file: await toFile(Buffer.from(lines.join('\n')), 'in.jsonl'), purpose: 'batch' });
    const seen = mock.requestsTo('slow').length;
    const batch = await client.batches.create({ input_file_id: input.id, endpoint: '/v1/chat/completions', completion_window: '24h' });
    for (let i = 0; i < 200; i++) {
      if (mock.requestsTo('slow').length >= seen + 8) break;
      await Bun.sleep(10);
    }
    return { userId: created.id, keyId: keyRes.id, batchId: batch.id, client };
  }

  /** Waits for the batch to end (read with the admin's view of the database, since the user's key may be gone). */
  async function ended(batchId: string, key: string) {
    for (let i = 0; i < 300; i++) {
      const res = await fetch(`${gw.url}/v1/batches/${batchId}`, { headers: { authorization: `Bearer ${key}` } });
      const b = (await res.json()) as any;
      if (['failed', 'completed', 'cancelled', 'expired'].includes(b.status)) return b;
      await Bun.sleep(20);
    }
    throw new Error('the batch did not end');
  }

  async function lines(key: string, fileId: string | null): Promise<any[]> {
    if (!fileId) return [];
    const text = await (await fetch(`${gw.url}/v1/files/${fileId}/content`, { headers: { authorization: `Bearer ${key}` } })).text();
    return text.trim().split('\n').map((l) => JSON.parse(l));
  }

  test('revoking the key: no line starts after a second; failed with key_revoked; every custom_id once', async () => {
    await start();
    const { keyId, batchId } = await startedBatch(`revoked-${Date.now()}@example.com`);
    const before = mock.requestsTo('slow').length;
    const revoked = await fetch(`${gw.url}/admin/keys/${keyId}`, { method: 'DELETE', headers: { authorization: `Bearer ${admin.apiKey}` } });
    expect(revoked.status).toBe(200);
    const revokedAt = Date.now();
    await Bun.sleep(1500);
    const late = mock.requestsTo('slow').filter((r) => r.startedAt > revokedAt + 1000);
    expect(late).toHaveLength(0);
    expect(mock.requestsTo('slow').length - before).toBeLessThan(30); // lines already in flight, and at most a tick's worth
    // The key is gone, so the batch is read through the database, as the owner's org admin would see it.
    const { Database } = await import('bun:sqlite');
    const db = new Database(join(cwd, 'data/aqueduct.db'), { readonly: true });
    let row: { status: string; errors: string | null; output_file_id: string | null; error_file_id: string | null } | null = null;
    for (let i = 0; i < 200; i++) {
      row = db.query<{ status: string; errors: string | null; output_file_id: string | null; error_file_id: string | null }, [string]>('SELECT status, errors, output_file_id, error_file_id FROM batches WHERE id = ?').get(batchId);
      if (row?.status === 'failed') break;
      await Bun.sleep(20);
    }
    expect(row!.status).toBe('failed');
    expect(JSON.parse(row!.errors!)).toMatchObject([{ code: 'key_revoked' }]);
    const fileText = (id: string | null) => (id === null ? '' : readFileSync(join(cwd, 'data/files', id), 'utf8'));
    const out = fileText(row!.output_file_id).trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
    const errs = fileText(row!.error_file_id).trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
    db.close();
    expect(out.length + errs.length).toBe(300);
    expect(new Set([...out, ...errs].map((l) => l.custom_id)).size).toBe(300);
    expect(errs.length).toBeGreaterThan(200);
    expect(errs.filter((l) => l.error?.code === 'key_revoked').length).toBeGreaterThan(200);
  }, 60_000);

  test("excluding the batch's model for its user: failed with model_not_found, no further lines", async () => {
    const email = `excluded-${Date.now()}@example.com`;
    const { userId, batchId, client } = await startedBatch(email);
    const patched = await fetch(`${gw.url}/admin/users/${userId}`, { method: 'PATCH', headers: { authorization: `Bearer ${admin.apiKey}`, 'content-type': 'application/json' }, body: JSON.stringify({ excluded_models: ['m'] }) });
    expect(patched.status).toBe(200);
    const excludedAt = Date.now();
    const userKey = client.apiKey as string;
    const done = await ended(batchId, userKey);
    expect(done.status).toBe('failed');
    expect(done.errors.data).toMatchObject([{ code: 'model_not_found' }]);
    expect(mock.requestsTo('slow').filter((r) => r.startedAt > excludedAt + 1000)).toHaveLength(0);
    const all = [...(await lines(userKey, done.output_file_id)), ...(await lines(userKey, done.error_file_id))];
    expect(all).toHaveLength(300);
    expect(new Set(all.map((l) => l.custom_id)).size).toBe(300);
    expect(all.filter((l) => l.error?.code === 'model_not_found').length).toBeGreaterThan(200);
  }, 60_000);
});

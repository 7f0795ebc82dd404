/** Batches through the official openai SDK: upload → create → poll → download, cancel, expiry, scope, pagination. */
import { afterAll, beforeEach, describe, expect, test } from 'bun:test';
import OpenAI, { toFile } from 'openai';
import { mockEmbedding } from '../support/mock-upstream';
import { relayFixture } from '../support/relay-fixture';

const f = relayFixture(`
model_list:
  - model_name: chat
    litellm_params: { model: openai/up-chat, api_base: "{{base:b}}", api_key: os.environ/UPSTREAM_KEY }
    model_info: { mode: chat, aliases: [main] }
  - model_name: text
    litellm_params: { model: openai/up-text, api_base: "{{base:b}}" }
    model_info: { mode: completion }
  - model_name: embed
    litellm_params: { model: openai/up-embed, api_base: "{{base:b}}" }
    model_info: { mode: embedding }
  - model_name: slow
    litellm_params: { model: openai/up-slow, api_base: "{{base:slow}}" }
    model_info: { mode: chat }
`);
afterAll(() => f.close());
beforeEach(() => f.reset());

async function upload(client: OpenAI, lines: object[]) {
  return client.files.create({ file: await toFile(Buffer.from(`${lines.map((l) => JSON.stringify(l)).join('\n')}\n`), 'in.jsonl'), purpose: 'batch' });
}

async function waitFor(client: OpenAI, id: string, statuses: string[], timeoutMs = 10_000) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const b = await client.batches.retrieve(id);
    if (statuses.includes(b.status)) return b;
    if (Date.now() > until) throw new Error(`batch ${id} still ${b.status}`);
    await Bun.sleep(50);
  }
}

async function jsonl(client: OpenAI, fileId: string | null | undefined): Promise<any[]> {
  if (!fileId) return [];
  const text = await (await client.files.content(fileId)).text();
  return text.trim().split('\n').map((l) => JSON.parse(l));
}

describe('batches', () => {
  test('chat batch: every custom_id once in the output, each answer matching its request, usage once per line', async () => {
    const client = f.client();
    const n = 120;
    const input = await upload(client, Array.from({ length: n }, (_, i) => ({ custom_id: `req-${i}`, method: 'POST', url: '/v1/chat/completions', body: { model: i % 2 ? 'main' : 'chat', messages: [{ role: 'user', content: `question ${i}` }] } })));
    const created = await client.batches.create({ input_file_id: input.id, endpoint: '/v1/chat/completions', completion_window: '24h', metadata: { run: 'one' } });
    expect(created).toMatchObject({ object: 'batch', endpoint: '/v1/chat/completions', input_file_id: input.id, completion_window: '24h', metadata: { run: 'one' }, model: 'chat' });
    expect(['validating', 'in_progress']).toContain(created.status);
    const done = await waitFor(client, created.id, ['completed']);
    expect(done.request_counts).toEqual({ total: n, completed: n, failed: 0 });
    expect(done.completed_at).toBeGreaterThanOrEqual(done.created_at);
    expect(done.error_file_id).toBeNull();
    const out = await jsonl(client, done.output_file_id);
    expect(out).toHaveLength(n);
    expect(new Set(out.map((l) => l.custom_id)).size).toBe(n);
    for (const l of out) {
      const i = Number(l.custom_id.slice(4));
      expect(l.response.status_code).toBe(200);
      expect(l.response.body.choices[0].message.content).toBe(`echo: question ${i}`);
      expect(l.error).toBeNull();
    }
    const file = await client.files.retrieve(done.output_file_id!);
    expect(file.purpose).toBe('batch_output');
    // Usage: one row per line, tagged with the batch, and the batch's own token totals agree.
    const rows = f.gw.db.sqlite.query<{ n: number; inp: number }, [string]>('SELECT count(*) AS n, sum(input_tokens) AS inp FROM usage WHERE batch_id = ?').get(created.id)!;
    expect(rows.n).toBe(n);
    expect(done.usage!.input_tokens).toBe(rows.inp);
    expect(f.mock.requestsTo('b').every((r) => r.headers.authorization === 'Bearer sk-upstream-secret')).toBe(true);
  });

  test('embeddings and completions batches; failures go to the error file with the upstream status', async () => {
    const client = f.client();
    const emb = await upload(client, ['alpha', 'beta'].map((w) => ({ custom_id: w, method: 'POST', url: '/v1/embeddings', body: { model: 'embed', input: w, encoding_format: 'float' } })));
    const b1 = await client.batches.create({ input_file_id: emb.id, endpoint: '/v1/embeddings', completion_window: '24h' });
    const d1 = await waitFor(client, b1.id, ['completed']);
    const out = await jsonl(client, d1.output_file_id);
    expect(out.find((l) => l.custom_id === 'alpha').response.body.data[0].embedding).toEqual(mockEmbedding('alpha', 8));

    f.mock.script('b', { status: 400 });
    const txt = await upload(client, ['x', 'y'].map((w) => ({ custom_id: w, method: 'POST', url: '/v1/completions', body: { model: 'text', prompt: w } })));
    const b2 = await client.batches.create({ input_file_id: txt.id, endpoint: '/v1/completions', completion_window: '24h' });
    const d2 = await waitFor(client, b2.id, ['completed']);
    expect(d2.request_counts).toEqual({ total: 2, completed: 1, failed: 1 });
    const errors = await jsonl(client, d2.error_file_id);
    expect(errors).toHaveLength(1);
    expect(errors[0].response.status_code).toBe(400);
    expect(errors[0].response.body.error.message).toContain('mock upstream failure 400');
    const ok = await jsonl(client, d2.output_file_id);
    expect([...ok, ...errors].map((l) => l.custom_id).sort()).toEqual(['x', 'y']);
  });

  test('upstream 5xx and 429 are retried; the line still succeeds', async () => {
    const client = f.client();
    f.mock.script('b', { status: 503 }, { status: 429, headers: { 'retry-after-ms': '10' } });
    const input = await upload(client, [{ custom_id: 'only', method: 'POST', url: '/v1/chat/completions', body: { model: 'chat', messages: [{ role: 'user', content: 'hi' }] } }]);
    const b = await client.batches.create({ input_file_id: input.id, endpoint: '/v1/chat/completions', completion_window: '24h' });
    const done = await waitFor(client, b.id, ['completed']);
    expect(done.request_counts).toEqual({ total: 1, completed: 1, failed: 0 });
  });

  test('cancel: no new lines start, status reaches cancelled, finished lines stay; every custom_id once across both files', async () => {
    const client = f.client();
    f.mock.profiles.set('slow', { latencyMs: 150, chunkDelayMs: 0, extraWords: 0 });
    const input = await upload(client, Array.from({ length: 300 }, (_, i) => ({ custom_id: `c${i}`, method: 'POST', url: '/v1/chat/completions', body: { model: 'slow', messages: [{ role: 'user', content: `q${i}` }] } })));
    const b = await client.batches.create({ input_file_id: input.id, endpoint: '/v1/chat/completions', completion_window: '24h' });
    await Bun.sleep(400);
    const cancelling = await client.batches.cancel(b.id);
    expect(['cancelling', 'cancelled']).toContain(cancelling.status);
    const t0 = Date.now();
    const done = await waitFor(client, b.id, ['cancelled'], 5000);
    expect(Date.now() - t0).toBeLessThan(3000);
    const out = await jsonl(client, done.output_file_id);
    const errs = await jsonl(client, done.error_file_id);
    expect(out.length).toBeGreaterThan(0);
    expect(out.length).toBeLessThan(300);
    expect([...out, ...errs].map((l) => l.custom_id).sort()).toEqual(Array.from({ length: 300 }, (_, i) => `c${i}`).sort());
    expect(errs.every((l) => l.error?.code === 'batch_cancelled')).toBe(true);
    const again = await client.batches.cancel(b.id).catch((e) => e);
    expect(again.status === 'cancelled' || again.status === 409).toBe(true);
    f.mock.profiles.delete('slow');
  });

  test('validation: wrong endpoint, a non-batch file, foreign and unknown ids', async () => {
    const client = f.client();
    const input = await upload(client, [{ custom_id: 'a', method: 'POST', url: '/v1/chat/completions', body: { model: 'chat', messages: [{ role: 'user', content: 'x' }] } }]);
    const wrong = await client.batches.create({ input_file_id: input.id, endpoint: '/v1/embeddings', completion_window: '24h' }).catch((e) => e);
    expect(wrong).toBeInstanceOf(OpenAI.BadRequestError);
    const notes = await client.files.create({ file: await toFile(Buffer.from('x'), 'n.txt'), purpose: 'user_data' });
    expect(await client.batches.create({ input_file_id: notes.id, endpoint: '/v1/chat/completions', completion_window: '24h' }).catch((e) => e.status)).toBe(400);
    const window = await fetch(`${f.url}/v1/batches`, { method: 'POST', headers: { authorization: `Bearer ${f.gw.adminKey}`, 'content-type': 'application/json' }, body: JSON.stringify({ input_file_id: input.id, endpoint: '/v1/chat/completions', completion_window: '48h' }) });
    expect(window.status).toBe(400);
    const stranger = f.gw.newKey('stranger@example.com');
    const foreignFile = await f.client({ key: stranger }).batches.create({ input_file_id: input.id, endpoint: '/v1/chat/completions', completion_window: '24h' }).catch((e) => e);
    expect(foreignFile).toBeInstanceOf(OpenAI.NotFoundError);
    const mine = await client.batches.create({ input_file_id: input.id, endpoint: '/v1/chat/completions', completion_window: '24h' });
    for (const call of [() => f.client({ key: stranger }).batches.retrieve(mine.id), () => f.client({ key: stranger }).batches.cancel(mine.id), () => client.batches.retrieve('batch_nope')]) {
      expect(await call().catch((e) => e)).toBeInstanceOf(OpenAI.NotFoundError);
    }
    expect((await f.client({ key: stranger }).batches.list()).data).toEqual([]);
    await waitFor(client, mine.id, ['completed']);
  });

  test('a model excluded after the upload cannot be batched: 404, no batch', async () => {
    const key = f.gw.newKey(`later-${Math.random()}@example.com`);
    const client = f.client({ key });
    const input = await upload(client, [{ custom_id: 'a', method: 'POST', url: '/v1/chat/completions', body: { model: 'chat', messages: [{ role: 'user', content: 'x' }] } }]);
    const user = (await f.gw.directory.userByEmail(((await (await f.gw.request('GET', '/admin/me', { key })).json()) as { user: { email: string } }).user.email))!;
    await f.gw.directory.updateUser(user.id, { excludedModels: ['chat'] });
    f.gw.keys.reload();
    const err = await client.batches.create({ input_file_id: input.id, endpoint: '/v1/chat/completions', completion_window: '24h' }).catch((e) => e);
    expect(err).toBeInstanceOf(OpenAI.NotFoundError);
    expect((await client.batches.list()).data).toEqual([]);
  });

  test('active batches are capped per user → 403 naming the limit', async () => {
    await f.gw.directory.updateUser((await f.gw.directory.userByEmail('admin@example.com'))!.id, {});
    const key = f.gw.newKey(`cap-${Math.random()}@example.com`);
    const client = f.client({ key });
    f.mock.profiles.set('slow', { latencyMs: 500, chunkDelayMs: 0, extraWords: 0 });
    const input = await upload(client, [{ custom_id: 'a', method: 'POST', url: '/v1/chat/completions', body: { model: 'slow', messages: [{ role: 'user', content: 'x' }] } }]);
    const ids: string[] = [];
    for (let i = 0; i < 10; i++) ids.push((await client.batches.create({ input_file_id: input.id, endpoint: '/v1/chat/completions', completion_window: '24h' })).id);
    const over = await client.batches.create({ input_file_id: input.id, endpoint: '/v1/chat/completions', completion_window: '24h' }).catch((e) => e);
    expect(over).toBeInstanceOf(OpenAI.PermissionDeniedError);
    expect(over.message).toContain('at most 10 active batches');
    // Pagination walks them all exactly once.
    const seen: string[] = [];
    for await (const b of client.batches.list({ limit: 3 })) seen.push(b.id);
    expect(seen.sort()).toEqual([...ids].sort());
    for (const id of ids) await waitFor(client, id, ['completed']);
    f.mock.profiles.delete('slow');
  });
});

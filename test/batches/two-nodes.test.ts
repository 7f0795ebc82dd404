/**
 * Two nodes sharing one database and one file store run a batch together: both run lines of it (a batch
 * created on one is picked up by the other), every custom_id ends in the output once, usage is counted once
 * per line, and the batch is finalized once. A cancel taken by either node stops both; a node that stops
 * mid-batch gives its lines back and the other node finishes them.
 */
import { afterAll, expect, test } from 'bun:test';
import OpenAI, { toFile } from 'openai';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { testGateway, type TestGateway } from '../support/app';
import { MockUpstream } from '../support/mock-upstream';

const mock = new MockUpstream(false).start();
mock.profiles.set('m', { latencyMs: 30, chunkDelayMs: 0, extraWords: 0 });
const dir = mkdtempSync(join(tmpdir(), 'aq-batch-nodes-'));
const shared = join(dir, 'files');
mkdirSync(shared);
const routerYaml = `
model_list:
  - model_name: m
    litellm_params: { model: openai/up, api_base: "${mock.base('m')}" }
`;
const settings = { fileStore: shared, batchConcurrencyPerBatch: 4 };
const nodes: [TestGateway, TestGateway] = [testGateway({ routerYaml, settings, dataDir: dir }), testGateway({ routerYaml, settings, dataDir: dir })];
const urls = nodes.map((n) => n.listen());
afterAll(async () => {
  for (const n of nodes) n.close();
  await mock.stop();
});

const client = (i: number) => new OpenAI({ apiKey: nodes[0].adminKey, baseURL: `${urls[i]}/v1`, maxRetries: 0 });

async function runBatch(n: number, tag: string) {
  const lines = Array.from({ length: n }, (_, i) => JSON.stringify({ custom_id: `${tag}${i}`, method: 'POST', url: '/v1/chat/completions', body: { model: 'm', messages: [{ role: 'user', content: `${tag}${i}` }] } }));
  const input = await client(0).files.create({ file: await toFile(Buffer.from(lines.join('\n')), 'in.jsonl'), purpose: 'batch' });
  return client(0).batches.create({ input_file_id: input.id, endpoint: '/v1/chat/completions', completion_window: '24h' });
}

async function completed(id: string, on: number) {
  for (const until = Date.now() + 20_000; ; await Bun.sleep(50)) {
    const b = await client(on).batches.retrieve(id);
    if (b.status === 'completed') return b;
    if (Date.now() > until) throw new Error(`batch still ${b.status}`);
  }
}

async function checkOnce(id: string, n: number, tag: string, outputFileId: string) {
  const out = (await (await client(1).files.content(outputFileId)).text()).trim().split('\n').map((l) => JSON.parse(l));
  expect(out.map((l) => l.custom_id).sort()).toEqual(Array.from({ length: n }, (_, i) => `${tag}${i}`).sort());
  for (const l of out) expect(l.response.body.choices[0].message.content).toBe(`echo: ${l.custom_id}`);
  const usage = nodes[0].db.sqlite.query<{ rows: number; calls: number }, [string]>('SELECT count(*) AS rows, count(DISTINCT request_id) AS calls FROM usage WHERE batch_id = ?').get(id);
  expect(usage).toEqual({ rows: n, calls: n });
  // One output file and no other: the batch was finalized once.
  const outputs = nodes[0].db.sqlite.query<{ n: number }, [string]>("SELECT count(*) AS n FROM files WHERE purpose = 'batch_output' AND filename LIKE ?").get(`${id}_%`);
  expect(outputs).toEqual({ n: 1 });
}

test('a batch created on one node runs on both; every custom_id once, usage once, one output file', async () => {
  const n = 80;
  const batch = await runBatch(n, 'a');
  const done = await completed(batch.id, 1);
  expect(done.request_counts).toEqual({ total: n, completed: n, failed: 0 });
  await checkOnce(batch.id, n, 'a', done.output_file_id!);
  const owners = nodes[0].db.sqlite.query<{ owner: string }, [string]>('SELECT DISTINCT lease_owner AS owner FROM batch_lines WHERE batch_id = ?').all(batch.id).map((r) => r.owner);
  expect(owners.sort()).toEqual([nodes[0].runner.nodeId, nodes[1].runner.nodeId].sort());
});

test('a cancel taken by one node stops the lines the other runs: cancelled, every custom_id once across both files', async () => {
  mock.profiles.set('m', { latencyMs: 150, chunkDelayMs: 0, extraWords: 0 });
  const n = 60;
  const batch = await runBatch(n, 'c');
  for (const until = Date.now() + 10_000; (await client(0).batches.retrieve(batch.id)).request_counts!.completed < 4; await Bun.sleep(10)) {
    if (Date.now() > until) throw new Error('the batch made no progress');
  }
  const running = nodes[0].db.sqlite.query<{ owner: string }, [string]>("SELECT DISTINCT lease_owner AS owner FROM batch_lines WHERE batch_id = ? AND state = 'running'").all(batch.id);
  // Both nodes hold lines when the cancel arrives at one of them.
  expect(running.map((r) => r.owner).sort()).toEqual([nodes[0].runner.nodeId, nodes[1].runner.nodeId].sort());
  await client(1).batches.cancel(batch.id);
  let done = await client(0).batches.retrieve(batch.id);
  for (const until = Date.now() + 10_000; done.status !== 'cancelled'; await Bun.sleep(25)) {
    if (Date.now() > until) throw new Error(`batch still ${done.status}`);
    done = await client(0).batches.retrieve(batch.id);
  }
  mock.profiles.set('m', { latencyMs: 30, chunkDelayMs: 0, extraWords: 0 });
  expect(done.request_counts!.completed).toBeLessThan(n);
  expect(done.request_counts!.completed + done.request_counts!.failed).toBe(n);
  const read = async (id: string | null | undefined) => (id ? (await (await client(1).files.content(id)).text()).trim().split('\n').map((l) => JSON.parse(l)) : []);
  const all = [...(await read(done.output_file_id)), ...(await read(done.error_file_id))];
  expect(all.map((l) => l.custom_id).sort()).toEqual(Array.from({ length: n }, (_, i) => `c${i}`).sort());
  expect(all.filter((l) => l.error?.code === 'batch_cancelled').length).toBeGreaterThan(0);
});

test('a node that stops mid-batch gives its lines back; the other node finishes them', async () => {
  const n = 60;
  const batch = await runBatch(n, 'b');
  for (const until = Date.now() + 10_000; (await client(1).batches.retrieve(batch.id)).request_counts!.completed < 8; await Bun.sleep(10)) {
    if (Date.now() > until) throw new Error('the batch made no progress');
  }
  await nodes[0].runner.stop();
  const done = await completed(batch.id, 1);
  expect(done.request_counts).toEqual({ total: n, completed: n, failed: 0 });
  await checkOnce(batch.id, n, 'b', done.output_file_id!);
});

/**
 * Three compiled gateways sharing one PostgreSQL, one Redis and one S3 bucket (test/support/cluster.ts), each
 * with its own data directory, as behind a load balancer: a key made on A works on B at once and its
 * revocation on A is refused on B within a second; rpm N is exact across the nodes under concurrency; a file
 * uploaded via A downloads via B and stays invisible to another key; a batch started on A finishes on B after A
 * is killed with -9 (every custom_id once, usage once); an MCP session opened via A continues via B; Redis
 * stopped mid-load gives the documented 503 for limited keys only, and its return needs no restart.
 */
import { SQL } from 'bun';
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import OpenAI, { toFile } from 'openai';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { adminApi } from '../support/admin-api';
import { startCluster, type Cluster } from '../support/cluster';
import { startEverything, type EverythingServer } from '../support/mcp-everything';
import { MockUpstream } from '../support/mock-upstream';

const mock = new MockUpstream().start();
mock.profiles.set('slow', { latencyMs: 60, chunkDelayMs: 0, extraWords: 0 });
let everything: EverythingServer;
let cluster: Cluster;

beforeAll(async () => {
  everything = await startEverything();
  cluster = await startCluster({
    nodes: 3,
    routerConfig:
      'model_list:\n' +
      `  - model_name: m\n    litellm_params: { model: openai/up, api_base: "${mock.base('m')}" }\n` +
      `  - model_name: slow\n    litellm_params: { model: openai/up, api_base: "${mock.base('slow')}" }\n`,
    mcpConfig: JSON.stringify({ mcpServers: { everything: { url: everything.url } } }),
    // Short batch leases, so a dead node's lines are taken over within seconds (default 30 s).
    env: { AQUEDUCT_BATCH_LEASE: '3', AQUEDUCT_BATCH_CONCURRENCY_PER_BATCH: '4' },
  });
}, 60_000);

afterAll(async () => {
  await cluster?.stop();
  await everything?.stop();
  await mock.stop();
});

const node = (i: number) => cluster.nodes[i]!.url;

/** The admin key's management calls through node `i`. */
const admin = <T>(i: number, method: string, path: string, body?: unknown) => adminApi(cluster.adminKey).call<T>(node(i), method, path, body);
/** A new user with a key, both made through node `i`. */
const newKey = (i: number) => adminApi(cluster.adminKey).newUserKey(node(i));

const openai = (i: number, key: string) => new OpenAI({ apiKey: key, baseURL: `${node(i)}/v1`, maxRetries: 0 });

const chat = (i: number, key: string, model = 'm') =>
  fetch(`${node(i)}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }] }),
  });

describe('keys across nodes', () => {
  test('a key made on A works on B at once; revoked on A, B refuses it within a second', async () => {
    const k = await newKey(0);
    const models = await openai(1, k.key).models.list();
    expect(models.data.map((m) => m.id)).toContain('m');
    expect((await chat(2, k.key)).status).toBe(200);

    await admin(0, 'DELETE', `/admin/keys/${k.id}`);
    const revokedAt = performance.now();
    let status = 200;
    while (status === 200 && performance.now() - revokedAt < 3000) {
      status = (await chat(1, k.key)).status;
      if (status === 200) await Bun.sleep(20);
    }
    expect(status).toBe(401);
    expect(performance.now() - revokedAt).toBeLessThan(1000);
    expect((await chat(2, k.key)).status).toBe(401);
  });

  test('rpm 6 lets exactly 6 of 30 concurrent calls through, spread over three nodes', async () => {
    const k = await newKey(2);
    await admin(2, 'PATCH', `/admin/keys/${k.id}`, { rpm: 6 });
    await Bun.sleep(1000); // a policy change reaches every node within a second (the key itself was known at once)
    const answers = await Promise.all(Array.from({ length: 30 }, (_, i) => chat(i % 3, k.key)));
    expect(answers.filter((r) => r.status === 200)).toHaveLength(6);
    expect(answers.filter((r) => r.status === 429)).toHaveLength(24);
  });
});

test('usage from every node, counted once: the report is the same whichever node answers', async () => {
  const k = await newKey(0);
  const since = Math.floor(Date.now() / 1000) - 5;
  const answers = await Promise.all(Array.from({ length: 12 }, (_, i) => chat(i % 3, k.key)));
  expect(answers.map((r) => r.status)).toEqual(Array(12).fill(200));
  const until = Math.ceil(Date.now() / 1000) + 60;
  const report = (i: number) => admin<{ data: { group: number; requests: number }[] }>(i, 'GET', `/admin/usage?group_by=key&since=${since}&until=${until}`);
  // Each node's writer flushes its calls within a fraction of a second.
  let mine: { requests: number } | undefined;
  for (const end = Date.now() + 5000; mine?.requests !== 12 && Date.now() < end; await Bun.sleep(100)) mine = (await report(0)).data.find((r) => r.group === k.id);
  expect(mine?.requests).toBe(12);
  const reports = await Promise.all([0, 1, 2].map(report));
  expect(reports[1]).toEqual(reports[0]);
  expect(reports[2]).toEqual(reports[0]);
});

test('a file uploaded via A downloads via B, byte for byte; another key sees nothing of it', async () => {
  const owner = await newKey(0);
  const other = await newKey(1);
  const bytes = Buffer.from(Array.from({ length: 3000 }, (_, i) => `{"line":${i}}`).join('\n'));
  const file = await openai(0, owner.key).files.create({ file: await toFile(bytes, 'data.jsonl'), purpose: 'user_data' });
  const back = Buffer.from(await (await openai(1, owner.key).files.content(file.id)).arrayBuffer());
  expect(back.equals(bytes)).toBe(true);
  expect((await openai(2, owner.key).files.retrieve(file.id)).bytes).toBe(bytes.length);
  const listed = await openai(2, owner.key).files.list();
  expect(listed.data.map((f) => f.id)).toContain(file.id);
  const foreign = await openai(1, other.key).files.retrieve(file.id).then(() => 200, (err: { status: number }) => err.status);
  expect(foreign).toBe(404);
  expect((await openai(1, other.key).files.list()).data).toEqual([]);
});

test('an MCP session opened via A continues via B; DELETE via C ends it for all', async () => {
  const k = await newKey(0);
  const transport = (i: number, sessionId?: string) =>
    new StreamableHTTPClientTransport(new URL(`${node(i)}/mcp-servers/everything/mcp`), { sessionId, requestInit: { headers: { authorization: `Bearer ${k.key}` } } });
  const a = new Client({ name: 'multi-node', version: '1' });
  const ta = transport(0);
  await a.connect(ta);
  const sessionId = ta.sessionId!;
  expect(sessionId).toBeTruthy();

  const b = new Client({ name: 'multi-node', version: '1' });
  await b.connect(transport(1, sessionId));
  const echoed = await b.callTool({ name: 'echo', arguments: { message: 'across nodes' } });
  expect(JSON.stringify(echoed.content)).toContain('across nodes');

  const del = await fetch(`${node(2)}/mcp-servers/everything/mcp`, { method: 'DELETE', headers: { authorization: `Bearer ${k.key}`, 'mcp-session-id': sessionId } });
  expect(del.status).toBe(200);
  const after = await fetch(`${node(0)}/mcp-servers/everything/mcp`, {
    method: 'POST',
    headers: { authorization: `Bearer ${k.key}`, 'mcp-session-id': sessionId, 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2025-06-18' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 9, method: 'tools/list' }),
  });
  expect(after.status).toBe(404);
  await Promise.allSettled([a.close(), b.close()]);
});

test('a batch started on A finishes on B after A is killed with -9: every custom_id once, usage once', async () => {
  const k = await newKey(0);
  const n = 120;
  const lines = Array.from({ length: n }, (_, i) =>
    JSON.stringify({ custom_id: `c${i}`, method: 'POST', url: '/v1/chat/completions', body: { model: 'slow', messages: [{ role: 'user', content: `n${i}` }] } }),
  );
  const input = await openai(0, k.key).files.create({ file: await toFile(Buffer.from(lines.join('\n')), 'in.jsonl'), purpose: 'batch' });
  const batch = await openai(0, k.key).batches.create({ input_file_id: input.id, endpoint: '/v1/chat/completions', completion_window: '24h' });

  // Let node A make some progress, then kill it without warning.
  let progress = 0;
  for (let i = 0; i < 300 && progress < 10; i++, await Bun.sleep(20)) progress = (await openai(1, k.key).batches.retrieve(batch.id)).request_counts!.completed;
  expect(progress).toBeGreaterThanOrEqual(10);
  await cluster.nodes[0]!.stop('SIGKILL');
  const atKill = (await openai(1, k.key).batches.retrieve(batch.id)).request_counts!.completed;
  expect(atKill).toBeLessThan(n);

  let done = await openai(1, k.key).batches.retrieve(batch.id);
  for (let i = 0; i < 600 && done.status !== 'completed'; i++, await Bun.sleep(50)) done = await openai(1, k.key).batches.retrieve(batch.id);
  expect(done.status).toBe('completed');
  expect(done.request_counts).toEqual({ total: n, completed: n, failed: 0 });
  const out = (await (await openai(2, k.key).files.content(done.output_file_id!)).text()).trim().split('\n').map((l) => JSON.parse(l) as { custom_id: string; response: { body: { choices: { message: { content: string } }[] } } });
  expect(out).toHaveLength(n);
  expect(new Set(out.map((l) => l.custom_id)).size).toBe(n);
  for (const l of out) expect(l.response.body.choices[0]!.message.content).toBe(`echo: n${l.custom_id.slice(1)}`);

  // Usage: one row per line, counted once, though lines in flight at the kill ran twice upstream.
  const sql = new SQL({ url: cluster.databaseUrl, max: 1 });
  const [usage] = (await sql`SELECT count(*)::int AS rows, count(DISTINCT request_id)::int AS lines FROM usage WHERE batch_id = ${batch.id}`) as { rows: number; lines: number }[];
  await sql.close();
  expect(usage).toEqual({ rows: n, lines: n });

  await cluster.startNode(0); // back for the tests after this one
}, 90_000);

test('Redis stopped mid-load: limited keys get 503 rate_limits_unavailable, unlimited ones pass; back without a restart', async () => {
  const limited = await newKey(1);
  await admin(1, 'PATCH', `/admin/keys/${limited.id}`, { rpm: 1000 });
  const free = await newKey(1);
  await Bun.sleep(1000); // the limit has reached every node
  expect((await chat(0, limited.key)).status).toBe(200);

  await cluster.redis.stop();
  const during = await Promise.all([0, 1, 2].map((i) => chat(i, limited.key)));
  for (const res of during) {
    expect(res.status).toBe(503);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('rate_limits_unavailable');
  }
  for (const i of [0, 1, 2]) expect((await chat(i, free.key)).status).toBe(200);

  await cluster.redis.restart();
  for (const i of [0, 1, 2]) {
    let status = 0;
    for (const end = Date.now() + 8000; status !== 200 && Date.now() < end; await Bun.sleep(100)) status = (await chat(i, limited.key)).status;
    expect(status).toBe(200);
  }
});

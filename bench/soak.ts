/**
 * `make soak`: minutes of mixed load against the compiled binary — chat (plain and streamed), embeddings,
 * file uploads/downloads/deletes, small batches and MCP tool calls — at moderate concurrency, with abuse
 * alongside (unknown paths; unauthenticated 8 MB bodies, which must get 401 unread; an MCP session flood that
 * must hit the per-key cap; six parallel uploads by one owner). Samples the
 * gateway's memory every 10 s; after a warm-up, it must not grow by 10 % or more, with zero unexpected errors.
 * Appends the result to bench/RESULTS.md. Usage: bun bench/soak.ts [--minutes 10] [--concurrency 16]
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir, cpus } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { rssMb, spawnPinned } from './lib/processes';

const root = join(import.meta.dir, '..');
const arg = (name: string, def: number) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : def;
};
const minutes = arg('--minutes', 10);
const concurrency = arg('--concurrency', 16);
const warmupMs = Math.min(120_000, (minutes * 60_000) / 5);

const mock = await spawnPinned(1, [process.execPath, join(root, 'test/support/mock-upstream.ts'), '--port', '0', '--profile', 'soak=5,2,20'], /on (http:\/\/\S+)/);
const mcpPort = 30000 + Math.floor(Math.random() * 10000);
const everything = await spawnPinned(1, [process.execPath, join(root, 'node_modules/@modelcontextprotocol/server-everything/dist/index.js'), 'streamableHttp'], /listening on port (\d+)/i, { env: { PORT: String(mcpPort) } });
const dir = join(tmpdir(), `aq-soak-${Date.now()}`);
mkdirSync(dir, { recursive: true });
writeFileSync(
  join(dir, 'router_config.yaml'),
  `model_list:\n  - { model_name: chat, litellm_params: { model: openai/c, api_base: "${mock.url}/soak/v1" }, model_info: { mode: chat } }\n  - { model_name: embed, litellm_params: { model: openai/e, api_base: "${mock.url}/soak/v1" }, model_info: { mode: embedding } }\n`,
);
writeFileSync(join(dir, 'mcp.json'), JSON.stringify({ mcpServers: { everything: { type: 'streamable-http', url: `http://127.0.0.1:${mcpPort}/mcp` } } }));
const gw = await spawnPinned(0, [join(root, 'dist/aqueduct'), '--host', '127.0.0.1', '--port', '0'], /listening on (http:\/\/\S+)/, { cwd: dir });
const key = readFileSync(join(dir, 'data/initial-admin-key'), 'utf8').trim();
const auth = { authorization: `Bearer ${key}` };
const json = { ...auth, 'content-type': 'application/json' };
// A second user whose key floods MCP sessions (the admin key's own MCP calls must keep working).
const floodUser = (await (await fetch(`${gw.url}/admin/users`, { method: 'POST', headers: json, body: JSON.stringify({ email: 'flood@soak.example' }) })).json()) as { id: number };
const floodKey = ((await (await fetch(`${gw.url}/admin/keys`, { method: 'POST', headers: json, body: JSON.stringify({ name: 'flood', user_id: floodUser.id }) })).json()) as { key: string }).key;

const counts: Record<string, { ok: number; errors: number }> = {};
const errorsSeen: string[] = [];
const count = (op: string, ok: boolean, detail = '') => {
  (counts[op] ??= { ok: 0, errors: 0 })[ok ? 'ok' : 'errors']++;
  if (!ok && errorsSeen.length < 20) errorsSeen.push(`${op}: ${detail}`);
};

const ops: Record<string, () => Promise<void>> = {
  async chat() {
    const r = await fetch(`${gw.url}/v1/chat/completions`, { method: 'POST', headers: json, body: JSON.stringify({ model: 'chat', messages: [{ role: 'user', content: 'soak' }] }) });
    await r.arrayBuffer();
    count('chat', r.status === 200, String(r.status));
  },
  async stream() {
    const r = await fetch(`${gw.url}/v1/chat/completions`, { method: 'POST', headers: json, body: JSON.stringify({ model: 'chat', messages: [{ role: 'user', content: 'soak' }], stream: true }) });
    const text = await r.text();
    count('stream', r.status === 200 && text.trimEnd().endsWith('[DONE]'), String(r.status));
  },
  async embed() {
    const r = await fetch(`${gw.url}/v1/embeddings`, { method: 'POST', headers: json, body: JSON.stringify({ model: 'embed', input: ['a', 'b', 'c'] }) });
    await r.arrayBuffer();
    count('embed', r.status === 200, String(r.status));
  },
  async file() {
    const form = new FormData();
    form.append('purpose', 'user_data');
    form.append('file', new Blob([new Uint8Array(64 * 1024)]), 'soak.bin');
    const up = await fetch(`${gw.url}/v1/files`, { method: 'POST', headers: auth, body: form });
    const f = (await up.json()) as { id: string };
    const down = await fetch(`${gw.url}/v1/files/${f.id}/content`, { headers: auth });
    const bytes = (await down.arrayBuffer()).byteLength;
    const del = await fetch(`${gw.url}/v1/files/${f.id}`, { method: 'DELETE', headers: auth });
    await del.arrayBuffer();
    count('file', up.status === 200 && bytes === 64 * 1024 && del.status === 200, `${up.status}/${bytes}/${del.status}`);
  },
  async batch() {
    const lines = Array.from({ length: 20 }, (_, i) => JSON.stringify({ custom_id: `s${i}`, method: 'POST', url: '/v1/chat/completions', body: { model: 'chat', messages: [{ role: 'user', content: `b${i}` }] } }));
    const form = new FormData();
    form.append('purpose', 'batch');
    form.append('file', new Blob([lines.join('\n')]), 'soak.jsonl');
    const f = (await (await fetch(`${gw.url}/v1/files`, { method: 'POST', headers: auth, body: form })).json()) as { id: string };
    const created = await fetch(`${gw.url}/v1/batches`, { method: 'POST', headers: json, body: JSON.stringify({ input_file_id: f.id, endpoint: '/v1/chat/completions', completion_window: '24h' }) });
    if (created.status === 403) return void (await created.arrayBuffer()); // the active-batch cap: expected under load
    const b = (await created.json()) as { id: string };
    let status = '';
    for (let i = 0; i < 200 && status !== 'completed'; i++) {
      await Bun.sleep(50);
      status = ((await (await fetch(`${gw.url}/v1/batches/${b.id}`, { headers: auth })).json()) as { status: string }).status;
    }
    count('batch', status === 'completed', status);
  },
  async mcp() {
    const client = new Client({ name: 'soak', version: '1' });
    const transport = new StreamableHTTPClientTransport(new URL(`${gw.url}/mcp-servers/everything/mcp`), { requestInit: { headers: auth } });
    await client.connect(transport);
    const r = await client.callTool({ name: 'echo', arguments: { message: 'soak' } });
    await transport.terminateSession(); // a well-behaved client ends its session
    await client.close();
    count('mcp', JSON.stringify(r.content).includes('soak'));
  },
  /** An MCP session flood: initializes that never end their session; past the per-key cap they get 429. */
  async mcpFlood() {
    const res = await fetch(`${gw.url}/mcp-servers/everything/mcp`, {
      method: 'POST',
      headers: { authorization: `Bearer ${floodKey}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'flood', version: '1' } } }),
    });
    await res.arrayBuffer();
    count('mcpFlood', res.status === 200 || res.status === 429, String(res.status));
  },
  /** Six uploads at once by one owner (the quota is held per upload as bytes arrive), then deleted. */
  async parallelUploads() {
    const up = async () => {
      const form = new FormData();
      form.append('purpose', 'user_data');
      form.append('file', new Blob([new Uint8Array(256 * 1024)]), 'parallel.bin');
      const r = await fetch(`${gw.url}/v1/files`, { method: 'POST', headers: auth, body: form });
      return r.status === 200 ? ((await r.json()) as { id: string }).id : `status ${r.status}`;
    };
    const ids = await Promise.all(Array.from({ length: 6 }, up));
    const stored = ids.filter((id) => id.startsWith('file-'));
    await Promise.all(stored.map(async (id) => (await fetch(`${gw.url}/v1/files/${id}`, { method: 'DELETE', headers: auth })).arrayBuffer()));
    count('parallelUploads', stored.length === 6, ids.join(','));
  },
  /** Abuse alongside the load: a probe of an unknown path (must stay 404 and not grow /metrics). */
  async unknown() {
    const res = await fetch(`${gw.url}/x${Math.random().toString(36).slice(2)}`);
    await res.arrayBuffer();
    count('unknown', res.status === 404, String(res.status));
  },
  /** An unauthenticated 8 MB streamed body: must be refused 401 without being read (bounded: 8 MB offered). */
  async unauthBody() {
    let sentMb = 0;
    const chunk = new Uint8Array(1024 * 1024);
    const body = new ReadableStream<Uint8Array>({ pull: (c) => (sentMb++ >= 8 ? c.close() : c.enqueue(chunk)) });
    const res = await fetch(`${gw.url}/admin/users`, { method: 'POST', body, headers: { 'content-type': 'application/json' }, duplex: 'half' } as RequestInit);
    await res.arrayBuffer();
    count('unauthBody', res.status === 401, String(res.status));
  },
};
const weights: [string, number][] = [['chat', 25], ['stream', 22], ['embed', 13], ['file', 8], ['batch', 5], ['mcp', 13], ['unknown', 6], ['unauthBody', 2], ['mcpFlood', 4], ['parallelUploads', 2]];
const pick = () => {
  let r = Math.random() * 100;
  for (const [op, w] of weights) if ((r -= w) < 0) return op;
  return 'chat';
};

const started = Date.now();
const until = started + minutes * 60_000;
const samples: { t: number; rss: number }[] = [];
const sampler = setInterval(() => samples.push({ t: Math.round((Date.now() - started) / 1000), rss: rssMb(gw.pid) }), 10_000);
await Promise.all(
  Array.from({ length: concurrency }, async () => {
    while (Date.now() < until) {
      const op = pick();
      await ops[op]!().catch((e) => count(op, false, String(e).slice(0, 200)));
    }
  }),
);
clearInterval(sampler);
samples.push({ t: Math.round((Date.now() - started) / 1000), rss: rssMb(gw.pid) });
// Thousands of unknown paths later, /metrics must still be small (they share the `unmatched` route label).
const metricsBytes = (await (await fetch(`${gw.url}/metrics`, { headers: auth })).text()).length;
count('metricsBounded', metricsBytes < 20_000, `/metrics is ${metricsBytes} bytes`);
await gw.stop();
await everything.stop();
await mock.stop();

const afterWarmup = samples.filter((s) => s.t * 1000 >= warmupMs);
const base = afterWarmup[0]?.rss ?? samples[0]!.rss;
const last = samples.at(-1)!.rss;
const growth = +(((last - base) / base) * 100).toFixed(1);
const totalErrors = Object.values(counts).reduce((n, c) => n + c.errors, 0);
const when = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
const md = [
  `\n## Soak ${when}: ${minutes} min, ${concurrency} concurrent clients\n`,
  `Machine: ${cpus()[0]?.model} × ${cpus().length}. Mixed load: chat, streamed chat, embeddings, file upload/download/delete, 20-line batches, MCP echo calls; unknown paths, unauthenticated 8 MB bodies, an MCP session flood from a second key, six parallel uploads.`,
  '',
  `| operation | ok | errors |`,
  `|---|---|---|`,
  ...Object.entries(counts).map(([op, c]) => `| ${op} | ${c.ok} | ${c.errors} |`),
  '',
  `RSS (MB) every 10 s: ${samples.map((s) => s.rss).join(', ')}.`,
  `After the ${Math.round(warmupMs / 1000)} s warm-up: ${base} → ${last} MB (${growth >= 0 ? '+' : ''}${growth} %; target < 10 %). Unexpected errors: ${totalErrors}.`,
  ...(errorsSeen.length ? ['', `First errors: ${errorsSeen.join('; ')}`] : []),
  '',
].join('\n');
console.log(md);
const file = join(root, 'bench/RESULTS.md');
if (!existsSync(file)) writeFileSync(file, '# Benchmark results\n');
appendFileSync(file, md);
process.exit(growth < 10 && totalErrors === 0 ? 0 : 1);

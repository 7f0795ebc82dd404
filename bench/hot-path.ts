/**
 * `bun bench/hot-path.ts [--calls 200000]`: the gateway's own CPU per relayed call, without sockets.
 * The production pieces (inference lane, auth with 100 keys, rate limits, router, relay, usage hand-off to
 * the writer thread, access log, metrics) run in-process against a fetch that answers at once, so the
 * figure is free of network and scheduler noise — the part of the hot path this codebase controls.
 * Run with `--cpu-prof` (bun --cpu-prof bench/hot-path.ts) to see where it goes. Access lines go to
 * stdout: redirect it (`> /dev/null`).
 */
import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildApp, type AppDeps } from '../src/app';
import { parseRouterConfig } from '../src/config/router-config';
import { resolveSettings } from '../src/config/settings';
import { openDatabase } from '../src/db/connection';
import { accessDefaults } from '../src/domain/access-defaults';
import { BatchStore } from '../src/domain/batches/batch-store';
import { BatchRunner } from '../src/calls/batch-runner';
import { Directory } from '../src/domain/directory';
import { FileStore } from '../src/domain/files/file-store';
import { createKeyCache } from '../src/domain/key-cache';
import { McpSessions } from '../src/domain/mcp/sessions';
import { Metrics } from '../src/domain/metrics';
import { InMemoryRateLimiter } from '../src/domain/rate-limiter';
import { WorkerUsageRecorder } from '../src/domain/usage';
import { usageReads } from '../src/domain/usage-reads';
import { sqliteUsageStore } from '../src/db/sqlite/usage-store';
import { accessLogTo } from '../src/http/access-log';
import { createLogger } from '../src/log';
import { ResponseStore } from '../src/domain/responses/response-store';
import { ModelCalls } from '../src/calls/model-calls';
import { Secrets } from '../src/calls/secrets';
import { UpstreamRouter } from '../src/upstream/router';
import { setupAqueduct } from './setup-aqueduct';

const argv = process.argv.slice(2);
const calls = Number(argv[argv.indexOf('--calls') + 1] || 200_000);
const err = (s: string) => process.stderr.write(`${s}\n`);

const dir = join(tmpdir(), `aq-hot-${Date.now()}`);
mkdirSync(dir, { recursive: true });
const { keys: apiKeys } = await setupAqueduct(join(dir, 'data'));
const routerText = 'model_list:\n  - model_name: chat-bench\n    litellm_params: { model: openai/chat-bench, api_base: "http://upstream.invalid/v1", api_key: sk-upstream }\n    model_info: { mode: chat }\n';
const router = parseRouterConfig(routerText, {}).config;
const settings = { ...resolveSettings(new Map(), {}).settings, dataDir: join(dir, 'data') };
const h = openDatabase(settings.dataDir);
const log = createLogger('warn');
const keys = createKeyCache(h.sql, 60_000, accessDefaults(settings, router));
await keys.ready;
const usage = new WorkerUsageRecorder(h.path, log);
const limiter = new InMemoryRateLimiter();
const metrics = new Metrics();
const lines = accessLogTo((text) => process.stdout.write(text));
const access: AppDeps['access'] = (line) => {
  metrics.observe(line);
  lines.log(line);
};
const upstream = new UpstreamRouter(router);
const modelCalls = new ModelCalls(router, upstream, limiter, usage, log, Secrets.of(router), access);
const files = new FileStore(h.sql, settings.dataDir);
const batches = new BatchStore(h.sql);
const runner = new BatchRunner(batches, files, { workers: 0, concurrency: 1, perBatchConcurrency: 1, routerYaml: routerText, env: {}, outputExpiryMs: 1 }, log, { principalOf: () => undefined, router: () => router });
const deps: AppDeps = { settings, router, mcp: { servers: new Map() }, db: h, directory: new Directory(h.sql), files, batches, runner, keys, calls: modelCalls, usage, usageReads: usageReads(sqliteUsageStore(h.sqlite)), mcpSessions: new McpSessions(60_000), access, metrics, log, startedAt: Date.now(), responses: new ResponseStore(h) };
const app = buildApp(deps);
const routes = (app.config.serve as unknown as { routes: Record<string, { POST: (r: Request, s: null) => Promise<Response> }> }).routes;
const post = routes['/v1/chat/completions']!.POST;
const postResponses = routes['/v1/responses']!.POST;

// The upstream answers at once with a typical completion.
const answer = JSON.stringify({ id: 'chatcmpl-1', object: 'chat.completion', created: 1, model: 'chat-bench', choices: [{ index: 0, message: { role: 'assistant', content: 'A prince avenges his father.' }, finish_reason: 'stop' }], usage: { prompt_tokens: 12, completion_tokens: 7, total_tokens: 19 } });
const upstreamResponse = () => new Response(answer, { headers: { 'content-type': 'application/json', 'x-request-id': 'up-1' } });
globalThis.fetch = (async () => upstreamResponse()) as unknown as typeof fetch;

const body = JSON.stringify({ model: 'chat-bench', messages: [{ role: 'user', content: 'Summarise the plot of Hamlet in one line.' }] });
const request = (i: number) => new Request('http://gateway/v1/chat/completions', { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': String(body.length), authorization: `Bearer ${apiKeys[i % apiKeys.length]}` }, body });

async function timed(label: string, n: number, one: (i: number) => Promise<unknown> | unknown): Promise<number> {
  const each = new Float64Array(n);
  const t0 = Bun.nanoseconds();
  for (let i = 0; i < n; i++) {
    const s = Bun.nanoseconds();
    await one(i);
    each[i] = Bun.nanoseconds() - s;
  }
  const us = (Bun.nanoseconds() - t0) / n / 1000;
  each.sort();
  const pct = (p: number) => (each[Math.min(n - 1, Math.floor(n * p))]! / 1000).toFixed(1);
  // The tail shows pauses (garbage collection, timers) that a single call can land in.
  err(`${label}: ${us.toFixed(2)} µs per call (p50 ${pct(0.5)}, p99 ${pct(0.99)}, p99.9 ${pct(0.999)}, max ${pct(1)} µs)`);
  return us;
}

// Warm up, then measure the call and the two things the harness itself adds (request and upstream answer).
await timed('warm-up', 20_000, async (i) => (await post(request(i), null)).arrayBuffer());
const total = await timed('relayed call (incl. harness)', calls, async (i) => (await post(request(i), null)).arrayBuffer());
const req = await timed('harness: building the request', calls, (i) => request(i));
const up = await timed('harness: building the upstream answer', calls, async () => upstreamResponse());
err(`gateway's own CPU per call ≈ ${(total - req - up).toFixed(2)} µs (Bun's HTTP server and client not included)`);

// The same question through /v1/responses, translated to chat and back (the deployment has an api_base).
const responsesBody = JSON.stringify({ model: 'chat-bench', input: 'Summarise the plot of Hamlet in one line.', store: !process.argv.includes('--no-store') });
const responsesRequest = (i: number) => new Request('http://gateway/v1/responses', { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': String(responsesBody.length), authorization: `Bearer ${apiKeys[i % apiKeys.length]}` }, body: responsesBody });
await timed('warm-up /v1/responses', 20_000, async (i) => (await postResponses(responsesRequest(i), null)).arrayBuffer());
const translated = await timed('/v1/responses translated (incl. harness)', calls, async (i) => (await postResponses(responsesRequest(i), null)).arrayBuffer());
err(`/v1/responses over chat ≈ ${(translated - total).toFixed(2)} µs per call`);
lines.flush();
await usage.close();
process.exit(0);

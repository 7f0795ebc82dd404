/**
 * `make bench`: the same load against the mock upstream directly, through aqueduct (the compiled binary,
 * realistic setup), through a bare Bun pass-through proxy, and through Portkey's gateway on Bun — in one
 * run on one machine. Writes bench/results/<timestamp>.json and appends a table to bench/RESULTS.md.
 *
 * Usage: bun bench/run.ts [--only latency,throughput,streaming,embeddings,batch,two-node] [--systems direct,aqueduct,bare,portkey] [--quick] [--no-save]
 * (--quick: a smoke run with tiny durations; --no-save: full durations, but nothing written to bench/).
 * CPU 0 runs the system under test; CPU 1 runs the mock upstream and the load generator (wrk).
 * Last, the two-node scenario (bench/two-node.ts): two gateways on PostgreSQL and Redis, one per CPU.
 */
import { appendFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { batchScenario, type BatchResult } from './lib/batch';
import { rssMb, spawnPinned, type Proc } from './lib/processes';
import { concurrentStreams, timeToFirstByte } from './lib/streams';
import { wrk, type WrkResult } from './lib/wrk';
import { raiseFetchLimit } from '../src/raise-fetch-limit';
import { setupAqueduct } from './setup-aqueduct';
import { twoNodeScenario, type TwoNodeResult } from './two-node';

const root = join(import.meta.dir, '..');
const argv = process.argv.slice(2);
const opt = (name: string) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1]!.split(',') : undefined;
};
const quick = argv.includes('--quick');
const save = !quick && !argv.includes('--no-save');
const scenarios = new Set(opt('--only') ?? ['latency', 'throughput', 'streaming', 'embeddings', 'batch', 'two-node']);
const wanted = new Set(opt('--systems') ?? ['direct', 'aqueduct', 'bare', 'portkey']);
const D = quick ? { lat: 1, tput: 1, reps: 1, emb: 1, ttft: 20, streams: 50, warm: 1 } : { lat: 5, tput: 4, reps: 3, emb: 4, ttft: 300, streams: 500, warm: 2 };
const SUT_CPU = 0;
const LOAD_CPU = 1;

const chatBody = (model: string, stream = false) => JSON.stringify({ model, messages: [{ role: 'user', content: 'Summarise the plot of Hamlet in one line.' }], stream });
/** The same question through /v1/responses (the bench models are translated to chat: the translation's cost). */
const responsesBody = (model: string) => JSON.stringify({ model, input: 'Summarise the plot of Hamlet in one line.' });
/** The chat question in Anthropic's format, for the mock Anthropic itself (the direct baseline of the anthropic/ path). */
const anthropicBody = JSON.stringify({ model: 'claude-bench', max_tokens: 64, messages: [{ role: 'user', content: 'Summarise the plot of Hamlet in one line.' }] });
const embedBody = (model: string) => JSON.stringify({ model, input: ['the quick brown fox', 'jumps over the lazy dog'], encoding_format: 'float' });

interface System {
  name: string;
  proc?: Proc;
  /** Base URL that OpenAI paths are appended to, and the model names to use. */
  base: (deployment: 'bench' | 'slow') => string;
  model: (kind: 'chat' | 'embed', deployment: 'bench' | 'slow') => string;
  /** Extra request headers (Portkey is told where the upstream is per request). */
  headers: (deployment: 'bench' | 'slow') => Record<string, string>;
  keys: string[];
  /** Aqueduct only: the gateway's own URL and an admin key, for the batch scenario. */
  gateway?: { url: string; adminKey: string };
}

/** Repeated throughput runs: the median run, and the spread of req/s across runs. */
type Repeated = WrkResult & { rps_runs: number[] };

interface SystemResult {
  latency?: WrkResult;
  /** Aqueduct only: /v1/responses translated to chat, 1 connection (right after `latency`). */
  responsesLatency?: WrkResult;
  /** Aqueduct only: /v1/responses' added p50 over chat, the median over alternating 1-second windows (ms). */
  responsesAddedAlternating?: number;
  /**
   * The anthropic/ path, 1 connection: aqueduct relays a chat completion to an anthropic/ deployment (the mock
   * Anthropic), translated both ways; `direct` is the mock Anthropic asked itself, in its own format.
   */
  anthropicLatency?: WrkResult;
  throughput32?: Repeated;
  throughput128?: Repeated;
  embeddings32?: WrkResult;
  ttft?: { p50_ms: number; p99_ms: number };
  streams?: { streams: number; ok: number; errors: number; seconds: number };
  memory?: { idle_mb: number; peak_mb: number; after_mb: number };
  batch?: BatchResult;
  note?: string;
}

async function startSystems(mockUrl: string, anthropicUrl: string): Promise<System[]> {
  const systems: System[] = [];
  const upstreamKey = ['sk-upstream-bench'];
  if (wanted.has('direct')) {
    systems.push({ name: 'direct', base: (d) => `${mockUrl}/${d}/v1`, model: (k) => k, headers: () => ({}), keys: upstreamKey });
  }
  if (wanted.has('aqueduct')) {
    const dir = join(tmpdir(), `aq-bench-${Date.now()}`);
    mkdirSync(dir, { recursive: true });
    const { keys, adminKey } = await setupAqueduct(join(dir, 'data'));
    writeFileSync(
      join(dir, 'router_config.yaml'),
      [
        'model_list:',
        '  - model_name: chat-batch20',
        `    litellm_params: { model: openai/chat-batch20, api_base: "${mockUrl}/batch20/v1", api_key: sk-upstream-bench }`,
        '  - model_name: chat-anthropic',
        `    litellm_params: { model: anthropic/claude-bench, api_base: "${anthropicUrl}/bench", api_key: sk-upstream-bench }`,
        ...(['bench', 'slow'] as const).flatMap((d) => [
          `  - model_name: chat-${d}`,
          `    litellm_params: { model: openai/chat-${d}, api_base: "${mockUrl}/${d}/v1", api_key: sk-upstream-bench }`,
          '    model_info: { mode: chat }',
          `  - model_name: embed-${d}`,
          `    litellm_params: { model: openai/embed-${d}, api_base: "${mockUrl}/${d}/v1", api_key: sk-upstream-bench }`,
          '    model_info: { mode: embedding }',
        ]),
      ].join('\n'),
    );
    const proc = await spawnPinned(SUT_CPU, [join(root, 'dist/aqueduct'), '--host', '127.0.0.1', '--port', '0', '--log-level', 'info'], /listening on (http:\/\/\S+)/, { cwd: dir });
    systems.push({ name: 'aqueduct', proc, base: () => `${proc.url}/v1`, model: (k, d) => `${k}-${d}`, headers: () => ({}), keys, gateway: { url: proc.url, adminKey } });
  }
  if (wanted.has('bare')) {
    const proc = await spawnPinned(SUT_CPU, [process.execPath, join(root, 'bench/bare-proxy.ts'), '--port', '0', '--upstream', mockUrl], /bare proxy on (http:\/\/\S+)/);
    systems.push({ name: 'bare-proxy', proc, base: (d) => `${proc.url}/${d}/v1`, model: (k) => k, headers: () => ({}), keys: upstreamKey });
  }
  if (wanted.has('portkey')) {
    const entry = join(root, 'bench/node_modules/@portkey-ai/gateway/build/start-server.js');
    if (!existsSync(entry)) {
      console.warn('Portkey is not installed in bench/node_modules (make bench installs it); skipping it');
    } else {
      const port = 18000 + Math.floor(Math.random() * 1000);
      const proc = await spawnPinned(SUT_CPU, [process.execPath, entry, `--port=${port}`, '--headless'], /running at:\s*(http:\/\/\S+)/, { env: { NODE_ENV: 'production' } });
      systems.push({
        name: 'portkey',
        proc,
        base: () => `http://127.0.0.1:${port}/v1`,
        model: (k) => k,
        headers: (d) => ({ 'x-portkey-provider': 'openai', 'x-portkey-custom-host': `${mockUrl}/${d}/v1` }),
        keys: upstreamKey,
      });
    }
  }
  return systems;
}

const chatUrl = (s: System, d: 'bench' | 'slow') => `${s.base(d)}/chat/completions`;
const post = (s: System, url: string, body: string, connections: number, seconds: number) =>
  wrk({ url, body, headers: { 'Content-Type': 'application/json', ...s.headers('bench') }, keys: s.keys, connections, seconds, cpu: LOAD_CPU });

/** Samples a system's RSS every 100 ms while `run` goes, raising `into.peak`. */
async function sampled<T>(s: System, into: { peak: number }, run: () => Promise<T>): Promise<T> {
  const sampler = s.proc ? setInterval(() => (into.peak = Math.max(into.peak, rssMb(s.proc!.pid))), 100) : undefined;
  try {
    return await run();
  } finally {
    if (sampler) clearInterval(sampler);
  }
}

/**
 * Every system is measured in the same run. Throughput runs are interleaved (repetition 1 of every system,
 * then repetition 2, …) so that a slow minute on this shared machine lands on all systems alike and the
 * ratios stay fair; the other scenarios run system by system.
 */
async function measureAll(systems: System[], anthropicUrl?: string): Promise<Record<string, SystemResult>> {
  const results: Record<string, SystemResult> = Object.fromEntries(systems.map((s) => [s.name, {}]));
  const peaks: Record<string, { peak: number }> = {};
  // Idle: started and quiet for two seconds (start-up garbage is not the steady state).
  await Bun.sleep(quick ? 200 : 2000);
  const idle: Record<string, number> = {};
  for (const s of systems) if (s.proc) idle[s.name] = rssMb(s.proc.pid);
  for (const s of systems) {
    console.log(`latency: ${s.name} …`);
    peaks[s.name] = { peak: idle[s.name] ?? 0 };
    // Warm up (JIT, connection pools, caches).
    await post(s, chatUrl(s, 'bench'), chatBody(s.model('chat', 'bench')), 8, D.warm);
    if (scenarios.has('latency')) {
      // Then warm up at the measured concurrency too, so the 1-connection figures are its steady state rather
      // than the tail of what the 8-connection burst left behind (usage rows, compilation, collection).
      await post(s, chatUrl(s, 'bench'), chatBody(s.model('chat', 'bench')), 1, D.warm);
      results[s.name]!.latency = await post(s, chatUrl(s, 'bench'), chatBody(s.model('chat', 'bench')), 1, D.lat);
      if (s.gateway) {
        const url = `${s.base('bench')}/responses`;
        await post(s, url, responsesBody(s.model('chat', 'bench')), 1, D.warm);
        results[s.name]!.responsesLatency = await post(s, url, responsesBody(s.model('chat', 'bench')), 1, D.lat);
        // The added latency again in alternating 1-second windows (the machine drifts by more than the difference
        // over the 10 s above; see bench/responses-latency.ts): the median of the rounds' differences.
        const added: number[] = [];
        for (let round = 0; round < (quick ? 2 : 8); round++) {
          const chat = await post(s, chatUrl(s, 'bench'), chatBody(s.model('chat', 'bench')), 1, 1);
          const resp = await post(s, url, responsesBody(s.model('chat', 'bench')), 1, 1);
          added.push(resp.p50_ms - chat.p50_ms);
        }
        results[s.name]!.responsesAddedAlternating = +[...added].sort((a, b) => a - b)[Math.floor(added.length / 2)]!.toFixed(3);
        await post(s, chatUrl(s, 'bench'), chatBody('chat-anthropic'), 1, D.warm);
        results[s.name]!.anthropicLatency = await post(s, chatUrl(s, 'bench'), chatBody('chat-anthropic'), 1, D.lat);
      }
      if (s.name === 'direct' && anthropicUrl !== undefined) {
        const mock: System = { ...s, headers: () => ({ 'x-api-key': 'sk-upstream-bench', 'anthropic-version': '2023-06-01' }) };
        await post(mock, `${anthropicUrl}/bench/v1/messages`, anthropicBody, 1, D.warm);
        results[s.name]!.anthropicLatency = await post(mock, `${anthropicUrl}/bench/v1/messages`, anthropicBody, 1, D.lat);
      }
    }
  }
  if (scenarios.has('throughput')) {
    for (const connections of [32, 128] as const) {
      const runs: Record<string, WrkResult[]> = Object.fromEntries(systems.map((s) => [s.name, []]));
      for (let rep = 0; rep < D.reps; rep++) {
        for (const s of systems) {
          console.log(`throughput, ${connections} connections, run ${rep + 1}: ${s.name} …`);
          const run = () => post(s, chatUrl(s, 'bench'), chatBody(s.model('chat', 'bench')), connections, D.tput);
          runs[s.name]!.push(connections === 128 ? await sampled(s, peaks[s.name]!, run) : await run());
        }
      }
      for (const s of systems) {
        const all = runs[s.name]!;
        const sorted = [...all].sort((a, b) => a.rps - b.rps);
        const median: Repeated = { ...sorted[Math.floor(sorted.length / 2)]!, errors: all.reduce((n, x) => n + x.errors, 0), rps_runs: all.map((x) => x.rps) };
        results[s.name]![connections === 32 ? 'throughput32' : 'throughput128'] = median;
      }
    }
  }
  for (const s of systems) {
    const r = results[s.name]!;
    console.log(`embeddings, streams, batch: ${s.name} …`);
    if (scenarios.has('embeddings')) r.embeddings32 = await post(s, `${s.base('bench')}/embeddings`, embedBody(s.model('embed', 'bench')), 32, D.emb);
    if (scenarios.has('streaming')) {
      const target = (d: 'bench' | 'slow') => {
        const url = chatUrl(s, d);
        const headers = { 'content-type': 'application/json', ...s.headers(d) };
        return { url, headers: (i: number) => ({ ...headers, authorization: `Bearer ${s.keys[i % s.keys.length]}` }) };
      };
      r.ttft = await timeToFirstByte(target('bench'), chatBody(s.model('chat', 'bench'), true), D.ttft);
      r.streams = await sampled(s, peaks[s.name]!, () => concurrentStreams(target('slow'), chatBody(s.model('chat', 'slow'), true), D.streams));
    }
  }
  // After: ten quiet seconds after the last load (collectors and idle threads have had time to act).
  await Bun.sleep(quick ? 500 : 10_000);
  for (const s of systems) {
    if (s.proc && idle[s.name] !== undefined) results[s.name]!.memory = { idle_mb: idle[s.name]!, peak_mb: peaks[s.name]!.peak, after_mb: rssMb(s.proc.pid) };
  }
  // Last, as it leaves batch lines and files behind.
  for (const s of systems) {
    if (scenarios.has('batch') && s.gateway && s.proc) {
      console.log(`batch: ${s.name} …`);
      results[s.name]!.batch = await batchScenario({ url: s.gateway.url, key: s.gateway.adminKey, pid: s.proc.pid, model: 'chat-batch20', lines: quick ? 500 : 10_000, concurrency: 64, latencyMs: 20 });
    }
  }
  return results;
}

const ratio = (a?: number, b?: number) => (a !== undefined && b ? +(a / b).toFixed(2) : null);
const fmt = (x: unknown) => (x === undefined || x === null || Number.isNaN(x) ? '–' : String(x));

function twoNodeMarkdown(t: TwoNodeResult): string {
  return [
    'Two nodes (bench/two-node.ts: compiled gateways on PostgreSQL + Redis, one pinned to each CPU; wrk, the mock, PostgreSQL and Redis unpinned):',
    '',
    '| figure | value |',
    '|---|---|',
    `| req/s, one node, 64 conns (median; runs) | ${t.one_node_rps} (${t.one_node_runs.join(' ')}) |`,
    `| req/s, two nodes, 32 conns each (median; runs) | ${t.two_nodes_rps} (${t.two_nodes_runs.join(' ')}) |`,
    `| two nodes / one node | ${t.ratio}× |`,
    `| gateway CPU per request, one node / two nodes (µs) | ${t.one_node_cpu_us_per_request} / ${t.two_nodes_cpu_us_per_request} |`,
    `| p50 at 1 conn, key without / with a shared limit (ms) | ${t.unlimited_p50_ms} / ${t.limited_p50_ms} |`,
    `| shared-limit round trip, added p50, alternating 1 s windows, median (ms) | ${t.shared_limit_added_p50_ms} |`,
    `| errors | ${t.errors} |`,
    '',
  ].join('\n');
}

function markdown(when: string, machine: string, results: Record<string, SystemResult>): string {
  const names = Object.keys(results);
  const d = results.direct;
  const rows: [string, (r: SystemResult) => unknown][] = [
    ['p50 latency, 1 conn (ms)', (r) => r.latency?.p50_ms],
    ['p99 latency, 1 conn (ms)', (r) => r.latency?.p99_ms],
    ['added p50 over direct (ms)', (r) => (r.latency && d?.latency ? +(r.latency.p50_ms - d.latency.p50_ms).toFixed(3) : undefined)],
    ['added p99 over direct (ms)', (r) => (r.latency && d?.latency ? +(r.latency.p99_ms - d.latency.p99_ms).toFixed(3) : undefined)],
    ['/responses (translated) p50 / p99, 1 conn (ms)', (r) => (r.responsesLatency ? `${r.responsesLatency.p50_ms} / ${r.responsesLatency.p99_ms}` : undefined)],
    ['/responses added p50 over chat (ms)', (r) => (r.responsesLatency && r.latency ? +(r.responsesLatency.p50_ms - r.latency.p50_ms).toFixed(3) : undefined)],
    ['/responses added p50 over chat, alternating 1 s windows, median (ms)', (r) => r.responsesAddedAlternating],
    ['anthropic/ path p50 / p99, 1 conn (ms)', (r) => (r.anthropicLatency ? `${r.anthropicLatency.p50_ms} / ${r.anthropicLatency.p99_ms}` : undefined)],
    ['anthropic/ added p50 over its direct (ms)', (r) => (r.anthropicLatency && d?.anthropicLatency && r !== d ? +(r.anthropicLatency.p50_ms - d.anthropicLatency.p50_ms).toFixed(3) : undefined)],
    [
      'anthropic/ added minus OpenAI-compatible added, p50 (ms)',
      (r) => (r.anthropicLatency && d?.anthropicLatency && r.latency && d.latency && r !== d ? +(r.anthropicLatency.p50_ms - d.anthropicLatency.p50_ms - (r.latency.p50_ms - d.latency.p50_ms)).toFixed(3) : undefined),
    ],
    ['req/s, 32 conns (median)', (r) => r.throughput32?.rps],
    ['req/s, 32 conns (runs)', (r) => r.throughput32?.rps_runs.join(' ')],
    ['p99, 32 conns (ms)', (r) => r.throughput32?.p99_ms],
    ['req/s, 128 conns (median)', (r) => r.throughput128?.rps],
    ['req/s, 128 conns (runs)', (r) => r.throughput128?.rps_runs.join(' ')],
    ['p99, 128 conns (ms)', (r) => r.throughput128?.p99_ms],
    ['errors (all wrk runs)', (r) => [r.throughput32, r.throughput128, r.embeddings32, r.latency, r.responsesLatency, r.anthropicLatency].reduce((n, x) => n + (x?.errors ?? 0), 0)],
    ['embeddings req/s, 32 conns', (r) => r.embeddings32?.rps],
    ['stream TTFB p50 (ms)', (r) => r.ttft?.p50_ms],
    ['added TTFB p50 over direct (ms)', (r) => (r.ttft && d?.ttft ? +(r.ttft.p50_ms - d.ttft.p50_ms).toFixed(3) : undefined)],
    [`concurrent streams ok / errors`, (r) => (r.streams ? `${r.streams.ok} / ${r.streams.errors}` : undefined)],
    ['RSS idle / peak / after (MB)', (r) => (r.memory ? `${r.memory.idle_mb} / ${r.memory.peak_mb} / ${r.memory.after_mb}` : undefined)],
    ['batch: lines in s (ideal s, ratio)', (r) => (r.batch ? `${r.batch.lines} in ${r.batch.seconds} (${r.batch.ideal_seconds}, ${r.batch.ratio_to_ideal}×)` : undefined)],
    ['batch: completed / failed, peak RSS MB', (r) => (r.batch ? `${r.batch.completed} / ${r.batch.failed}, ${r.batch.peak_rss_mb}` : undefined)],
  ];
  const a = results.aqueduct;
  const ratios = [
    `aqueduct/direct req/s at 32: ${fmt(ratio(a?.throughput32?.rps, d?.throughput32?.rps))}`,
    `aqueduct/bare-proxy req/s at 32: ${fmt(ratio(a?.throughput32?.rps, results['bare-proxy']?.throughput32?.rps))}`,
    `aqueduct/portkey req/s at 32: ${fmt(ratio(a?.throughput32?.rps, results.portkey?.throughput32?.rps))}`,
    `aqueduct/bare-proxy req/s at 128: ${fmt(ratio(a?.throughput128?.rps, results['bare-proxy']?.throughput128?.rps))}`,
    `aqueduct/portkey req/s at 128: ${fmt(ratio(a?.throughput128?.rps, results.portkey?.throughput128?.rps))}`,
  ];
  return [
    `\n## ${when}${quick ? ' (quick smoke run, not a measurement)' : ''}\n`,
    `Machine: ${machine}. System under test on CPU ${SUT_CPU}; mock upstream and wrk on CPU ${LOAD_CPU}.`,
    '',
    `| figure | ${names.join(' | ')} |`,
    `|---|${names.map(() => '---').join('|')}|`,
    ...rows.map(([label, get]) => `| ${label} | ${names.map((n) => fmt(get(results[n]!))).join(' | ')} |`),
    '',
    `Ratios: ${ratios.join('; ')}.`,
    '',
  ].join('\n');
}

async function main() {
  const mock = await spawnPinned(
    LOAD_CPU,
    [process.execPath, join(root, 'test/support/mock-upstream.ts'), '--port', '0', '--profile', 'slow=20,10,30', '--profile', 'batch20=20,0,0'],
    /on (http:\/\/\S+)/,
  );
  const anthropic = await spawnPinned(LOAD_CPU, [process.execPath, join(root, 'test/support/mock-anthropic.ts'), '--port', '0'], /mock anthropic on (http:\/\/\S+)/);
  const systems = await startSystems(mock.url, anthropic.url);
  let results: Record<string, SystemResult> = {};
  let twoNode: TwoNodeResult | undefined;
  try {
    results = await measureAll(systems, anthropic.url);
    for (const s of systems) await s.proc?.stop().catch(() => {});
    if (scenarios.has('two-node')) twoNode = await twoNodeScenario(mock.url, { quick, loadCpu: LOAD_CPU });
  } finally {
    for (const s of systems) await s.proc?.stop().catch(() => {});
    await mock.stop();
    await anthropic.stop();
  }
  const when = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const bunVersion = Bun.version;
  const machine = `${cpus()[0]?.model ?? 'cpu'} × ${cpus().length}, ${Math.round(totalmem() / 2 ** 30)} GiB, bun ${bunVersion}`;
  const out = { when, machine, quick, scenarios: [...scenarios], results, twoNode };
  if (save) {
    mkdirSync(join(root, 'bench/results'), { recursive: true });
    writeFileSync(join(root, `bench/results/${when.replace(/:/g, '-')}.json`), `${JSON.stringify(out, null, 2)}\n`);
  }
  const md = markdown(when, machine, results) + (twoNode ? twoNodeMarkdown(twoNode) : '');
  if (save) {
    const file = join(root, 'bench/RESULTS.md');
    if (!existsSync(file)) writeFileSync(file, '# Benchmark results\n\nAppended by `make bench` (bench/run.ts); newest last.\n');
    appendFileSync(file, md);
  }
  console.log(md);
  console.log(JSON.stringify(out.results));
}

// This process is a client of 500 concurrent streams: lift Bun's fetch limit of 256 first.
raiseFetchLimit(4096, (msg) => console.warn(msg));
await main();

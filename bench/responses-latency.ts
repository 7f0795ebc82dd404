/**
 * `bun bench/responses-latency.ts [--binary dist/aqueduct] [--rounds 15] [--seconds 1] [--no-store]`: the added latency of
 * /v1/responses (translated to chat, kept: `store` defaults to true) over chat completions at one connection,
 * measured in alternating short windows on one gateway, so that the machine's drift (a shared VM moves by
 * more than the difference being measured over a minute) falls on both sides alike. Prints each window's
 * p50, the median of the per-round differences, and req/s. Same setup as `make bench` (realistic keys,
 * gateway on CPU 0, mock upstream and wrk on CPU 1). Also the gateway's CPU per call in each window (every
 * thread's time on a CPU, from /proc/<pid>/task/<tid>/schedstat, in ns; the event loop's own apart): less
 * disturbed by a busy machine than latency, it shows what keeping a response costs.
 */
import { readdirSync, readFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnPinned } from './lib/processes';
import { wrk, type WrkResult } from './lib/wrk';
import { setupAqueduct } from './setup-aqueduct';

const argv = process.argv.slice(2);
const opt = (name: string, def: string) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1]! : def;
};
const root = join(import.meta.dir, '..');
const binary = opt('--binary', join(root, 'dist/aqueduct'));
const rounds = Number(opt('--rounds', '15'));
const seconds = Number(opt('--seconds', '1'));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const dir = join(tmpdir(), `aq-resp-lat-${Date.now()}`);
mkdirSync(dir, { recursive: true });
const { keys } = await setupAqueduct(join(dir, 'data'));
const mock = await spawnPinned(1, [process.execPath, join(root, 'test/support/mock-upstream.ts'), '--port', '0'], /on (http:\/\/\S+)/);
writeFileSync(
  join(dir, 'router_config.yaml'),
  ['model_list:', '  - model_name: chat-bench', `    litellm_params: { model: openai/chat-bench, api_base: "${mock.url}/bench/v1", api_key: sk-upstream-bench }`, '    model_info: { mode: chat }'].join('\n'),
);
const gateway = await spawnPinned(0, [binary, '--host', '127.0.0.1', '--port', '0', '--log-level', 'info'], /listening on (http:\/\/\S+)/, { cwd: dir });
const question = 'Summarise the plot of Hamlet in one line.';
/** ns on a CPU so far: the whole gateway process (threads alive now) and its main thread (the event loop). */
function cpuNs(pid: number): { all: number; main: number } {
  let all = 0;
  let main = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    let ns = 0;
    try {
      ns = Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
    } catch {
      continue; // a thread that ended meanwhile
    }
    all += ns;
    if (Number(tid) === pid) main = ns;
  }
  return { all, main };
}
type Window = WrkResult & { cpuUs: number; mainUs: number };
const run = async (path: string, body: object, s: number): Promise<Window> => {
  const before = cpuNs(gateway.pid);
  const r = await wrk({ url: `${gateway.url}${path}`, body: JSON.stringify(body), headers: { 'Content-Type': 'application/json' }, keys, connections: 1, seconds: s, cpu: 1 });
  const after = cpuNs(gateway.pid);
  const per = (ns: number) => +(ns / 1000 / Math.max(1, r.requests)).toFixed(1);
  return { ...r, cpuUs: per(after.all - before.all), mainUs: per(after.main - before.main) };
};
const chat = () => run('/v1/chat/completions', { model: 'chat-bench', messages: [{ role: 'user', content: question }] }, seconds);
// --no-store: without keeping the response (the translation alone).
const store = !argv.includes('--no-store');
const responses = () => run('/v1/responses', { model: 'chat-bench', input: question, store }, seconds);

try {
  await chat();
  await responses();
  const rows: { chat: Window; responses: Window }[] = [];
  for (let i = 0; i < rounds; i++) {
    // Alternate which goes first, so that neither always follows the other's writes.
    if (i % 2 === 0) rows.push({ chat: await chat(), responses: await responses() });
    else {
      const r = await responses();
      rows.push({ chat: await chat(), responses: r });
    }
  }
  for (const [i, r] of rows.entries()) {
    console.log(
      `round ${String(i + 1).padStart(2)}: chat p50 ${r.chat.p50_ms} ms (${r.chat.rps} req/s, ${r.chat.cpuUs} µs CPU/call), ` +
        `/responses p50 ${r.responses.p50_ms} ms (${r.responses.rps} req/s, ${r.responses.cpuUs} µs CPU/call), added ${(r.responses.p50_ms - r.chat.p50_ms).toFixed(3)} ms`,
    );
  }
  const added = rows.map((r) => r.responses.p50_ms - r.chat.p50_ms);
  console.log(
    `median over ${rounds} rounds: chat p50 ${median(rows.map((r) => r.chat.p50_ms))} ms, /responses p50 ${median(rows.map((r) => r.responses.p50_ms))} ms, ` +
      `added p50 ${median(added).toFixed(3)} ms; req/s ${median(rows.map((r) => r.chat.rps))} vs ${median(rows.map((r) => r.responses.rps))}; errors ${rows.reduce((n, r) => n + r.chat.errors + r.responses.errors, 0)}`,
  );
  const diff = (f: (w: Window) => number) => median(rows.map((r) => f(r.responses) - f(r.chat))).toFixed(1);
  console.log(
    `CPU per call (median): chat ${median(rows.map((r) => r.chat.cpuUs))} µs (event loop ${median(rows.map((r) => r.chat.mainUs))}), ` +
      `/responses ${median(rows.map((r) => r.responses.cpuUs))} µs (event loop ${median(rows.map((r) => r.responses.mainUs))}); ` +
      `added ${diff((w) => w.cpuUs)} µs, of which the event loop ${diff((w) => w.mainUs)} and other threads ${diff((w) => w.cpuUs - w.mainUs)}`,
  );
} finally {
  await gateway.stop();
  await mock.stop();
}

/**
 * The gateway's added latency at one connection: the same requests sent to the mock upstream directly
 * and through dist/aqueduct, interleaved, reporting p50/p99 of each and the difference.
 * Non-stream chat, and time to first byte of a streamed chat.
 * Usage: bun bench/relay-overhead.ts [requests=2000] [--limits]
 * --limits sets (never reached) rpm/itpm/otpm limits on the default org, so the limiter is on the path.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const N = Number(process.argv.find((a) => /^\d+$/.test(a)) ?? 2000);
const withLimits = process.argv.includes('--limits');
const root = join(import.meta.dir, '..');
const dir = mkdtempSync(join(tmpdir(), 'aq-overhead-'));

async function waitForLine(stream: ReadableStream<Uint8Array>, re: RegExp): Promise<RegExpExecArray> {
  const reader = stream.getReader();
  let text = '';
  for (;;) {
    const { done, value } = await reader.read();
    if (done) throw new Error(`stream ended before ${re}: ${text}`);
    text += new TextDecoder().decode(value);
    const m = re.exec(text);
    if (m) {
      reader.releaseLock();
      return m;
    }
  }
}

const mock = Bun.spawn(['taskset', '-c', '1', process.execPath, join(root, 'test/support/mock-upstream.ts'), '--port', '0'], { stdout: 'pipe', stderr: 'inherit' });
const mockUrl = (await waitForLine(mock.stdout, /on (http:\/\/\S+)/))[1]!;
writeFileSync(join(dir, 'router_config.yaml'), `model_list:\n  - model_name: m\n    litellm_params: { model: openai/up, api_base: "${mockUrl}/m/v1", api_key: sk-x }\n`);
if (withLimits) {
  // The first start creates the default org; set limits on it, then start for real.
  const init = Bun.spawn([join(root, 'dist/aqueduct'), 'migrate'], { cwd: dir });
  await init.exited;
  await Bun.spawn([join(root, 'dist/aqueduct'), 'org', 'create', 'default'], { cwd: dir, stdout: 'ignore', stderr: 'ignore' }).exited;
  await Bun.spawn([join(root, 'dist/aqueduct'), 'limits', 'set', '--org', 'default', '--rpm', '1000000', '--itpm', '1000000000', '--otpm', '1000000000'], { cwd: dir, stdout: 'ignore' }).exited;
}
const gw = Bun.spawn(['taskset', '-c', '0', join(root, 'dist/aqueduct'), '--host', '127.0.0.1', '--port', '0'], { cwd: dir, stdout: 'ignore', stderr: 'pipe' });
const gwUrl = (await waitForLine(gw.stderr, /listening on (http:\/\/\S+)/))[1]!;
const key = readFileSync(join(dir, 'data/initial-admin-key'), 'utf8').trim();

const body = JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'hello there, how are you today?' }] });
const streamBody = JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'hello there, how are you today?' }], stream: true });
const targets = {
  direct: { url: `${mockUrl}/m/v1/chat/completions`, headers: { 'content-type': 'application/json', authorization: 'Bearer sk-x' } },
  gateway: { url: `${gwUrl}/v1/chat/completions`, headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` } },
};

async function once(t: (typeof targets)['direct'], b: string, firstByte: boolean): Promise<number> {
  const t0 = performance.now();
  const res = await fetch(t.url, { method: 'POST', headers: t.headers, body: b });
  if (firstByte) {
    const reader = res.body!.getReader();
    await reader.read();
    const ms = performance.now() - t0;
    while (!(await reader.read()).done);
    return ms;
  }
  await res.arrayBuffer();
  if (res.status !== 200) throw new Error(`status ${res.status}`);
  return performance.now() - t0;
}

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;
async function measure(name: string, b: string, firstByte: boolean) {
  const d: number[] = [];
  const g: number[] = [];
  for (let i = 0; i < 200; i++) {
    await once(targets.direct, b, firstByte);
    await once(targets.gateway, b, firstByte);
  }
  for (let i = 0; i < N; i++) {
    d.push(await once(targets.direct, b, firstByte));
    g.push(await once(targets.gateway, b, firstByte));
  }
  const r = (x: number) => +x.toFixed(3);
  return {
    scenario: name,
    direct_ms: { p50: r(pct(d, 50)), p99: r(pct(d, 99)) },
    gateway_ms: { p50: r(pct(g, 50)), p99: r(pct(g, 99)) },
    added_ms: { p50: r(pct(g, 50) - pct(d, 50)), p99: r(pct(g, 99) - pct(d, 99)) },
  };
}

const results = [await measure('chat non-stream, 1 connection', body, false), await measure('chat stream time-to-first-byte, 1 connection', streamBody, true)];
console.log(JSON.stringify({ requests: N, limits: withLimits, results }, null, 2));
gw.kill();
mock.kill();
await Promise.all([gw.exited, mock.exited]);

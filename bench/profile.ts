/**
 * `bun bench/profile.ts [--seconds 10] [--connections 32] [--top 40]`: where aqueduct's CPU goes on the
 * hot path. Runs the gateway from source with `bun --cpu-prof` (same realistic setup as `make bench`),
 * drives non-stream chat with wrk, and prints the functions with the most self time and the most
 * inclusive time. The raw .cpuprofile is kept (open it in Chrome DevTools for the full tree).
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnPinned } from './lib/processes';
import { wrk } from './lib/wrk';
import { setupAqueduct } from './setup-aqueduct';

const argv = process.argv.slice(2);
const num = (name: string, def: number) => {
  const i = argv.indexOf(name);
  return i >= 0 ? Number(argv[i + 1]) : def;
};
const seconds = num('--seconds', 10);
const connections = num('--connections', 32);
const top = num('--top', 40);
const root = join(import.meta.dir, '..');

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
}

function report(profile: CpuProfile): string {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const label = (n: ProfileNode) => `${n.callFrame.functionName || '(anonymous)'} ${n.callFrame.url.replace(/^.*\/(src|node_modules)\//, '$1/')}:${n.callFrame.lineNumber + 1}`;
  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  for (const id of profile.samples) {
    const leaf = byId.get(id)!;
    self.set(label(leaf), (self.get(label(leaf)) ?? 0) + 1);
    // Count each frame once per sample, however often it recurses.
    const seen = new Set<string>();
    for (let n: ProfileNode | undefined = leaf; n; n = byId.get(parent.get(n.id) ?? -1)) {
      const l = label(n);
      if (!seen.has(l)) inclusive.set(l, (inclusive.get(l) ?? 0) + 1);
      seen.add(l);
    }
  }
  const total = profile.samples.length;
  const table = (m: Map<string, number>) =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([l, c]) => `${((100 * c) / total).toFixed(1).padStart(5)}%  ${l}`)
      .join('\n');
  return `samples: ${total}\n\n# self\n${table(self)}\n\n# inclusive\n${table(inclusive)}\n`;
}

async function main() {
  const dir = join(tmpdir(), `aq-profile-${Date.now()}`);
  mkdirSync(dir, { recursive: true });
  const { keys } = await setupAqueduct(join(dir, 'data'));
  const mock = await spawnPinned(1, [process.execPath, join(root, 'test/support/mock-upstream.ts'), '--port', '0'], /on (http:\/\/\S+)/);
  writeFileSync(
    join(dir, 'router_config.yaml'),
    ['model_list:', '  - model_name: chat-bench', `    litellm_params: { model: openai/chat-bench, api_base: "${mock.url}/bench/v1", api_key: sk-upstream-bench }`, '    model_info: { mode: chat }'].join('\n'),
  );
  const gateway = await spawnPinned(0, [process.execPath, '--cpu-prof', `--cpu-prof-dir=${dir}`, join(root, 'src/main.ts'), 'serve', '--host', '127.0.0.1', '--port', '0', '--log-level', 'info'], /listening on (http:\/\/\S+)/, {
    cwd: dir,
    // The fetch limit is raised here: serve's own re-exec would drop bun's --cpu-prof flags.
    env: { BUN_CONFIG_MAX_HTTP_REQUESTS: '8192' },
  });
  const body = JSON.stringify({ model: 'chat-bench', messages: [{ role: 'user', content: 'Summarise the plot of Hamlet in one line.' }] });
  const load = (s: number) => wrk({ url: `${gateway.url}/v1/chat/completions`, body, headers: { 'Content-Type': 'application/json' }, keys, connections, seconds: s, cpu: 1 });
  await load(3); // warm-up
  const result = await load(seconds);
  await gateway.stop();
  await mock.stop();
  console.log(`wrk: ${result.rps} req/s, p50 ${result.p50_ms} ms, p99 ${result.p99_ms} ms, errors ${result.errors}`);
  const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
  if (!file) throw new Error(`no .cpuprofile written in ${dir}`);
  console.log(report(JSON.parse(readFileSync(join(dir, file), 'utf8')) as CpuProfile));
  console.log(`profile: ${join(dir, file)}`);
}

await main();

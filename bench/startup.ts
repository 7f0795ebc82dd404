/**
 * Start-up and idle footprint of dist/aqueduct: binary size, time from spawn to the first 200 from
 * /health (fresh data dir and existing one), and idle RSS after start and after 200 /v1/models calls.
 * Usage: bun bench/startup.ts [runs=10]
 */
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const BINARY = join(import.meta.dir, '../dist/aqueduct');
const runs = Number(process.argv[2] ?? 10);

function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)![1]) / 1024;
}

async function startOnce(cwd: string, port: number) {
  const t0 = performance.now();
  const proc = Bun.spawn([BINARY, '--host', '127.0.0.1', '--port', String(port)], { cwd, stdout: 'ignore', stderr: 'ignore' });
  for (;;) {
    try {
      const res = await fetch(`http://127.0.0.1:${port}/health`);
      if (res.status === 200) break;
    } catch {}
    await Bun.sleep(1);
  }
  return { ms: performance.now() - t0, proc };
}

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;
const fresh: number[] = [];
const warm: number[] = [];
let idle = 0;
let afterLoad = 0;
for (let i = 0; i < runs; i++) {
  const cwd = mkdtempSync(join(tmpdir(), 'aq-bench-'));
  const port = 18000 + i;
  const a = await startOnce(cwd, port);
  fresh.push(a.ms);
  a.proc.kill();
  await a.proc.exited;
  const b = await startOnce(cwd, port);
  warm.push(b.ms);
  if (i === 0) {
    await Bun.sleep(2000);
    idle = rssMb(b.proc.pid);
    const key = readFileSync(join(cwd, 'data/initial-admin-key'), 'utf8').trim();
    for (let j = 0; j < 200; j++) await fetch(`http://127.0.0.1:${port}/v1/models`, { headers: { authorization: `Bearer ${key}` } });
    await Bun.sleep(2000);
    afterLoad = rssMb(b.proc.pid);
  }
  b.proc.kill();
  await b.proc.exited;
}
const result = {
  binary_mb: +(statSync(BINARY).size / 1024 / 1024).toFixed(1),
  start_to_first_200_ms_fresh_db: { p50: +pct(fresh, 50).toFixed(1), max: +Math.max(...fresh).toFixed(1) },
  start_to_first_200_ms_existing_db: { p50: +pct(warm, 50).toFixed(1), max: +Math.max(...warm).toFixed(1) },
  idle_rss_mb: +idle.toFixed(1),
  rss_after_200_requests_mb: +afterLoad.toFixed(1),
  runs,
};
console.log(JSON.stringify(result, null, 2));

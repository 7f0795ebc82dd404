/** Runs wrk (Debian package) with a POST body and rotating keys, and parses its report. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';

export interface WrkResult {
  rps: number;
  p50_ms: number;
  p99_ms: number;
  requests: number;
  errors: number;
}

function ms(value: string, unit: string): number {
  const n = Number(value);
  return unit === 'us' ? n / 1000 : unit === 's' ? n * 1000 : n;
}

export async function wrk(opts: { url: string; body: string; headers: Record<string, string>; keys: string[]; connections: number; seconds: number; cpu: number }): Promise<WrkResult> {
  const script = join(tmpdir(), `aq-wrk-${process.pid}-${Math.random().toString(36).slice(2)}.lua`);
  const lua = [
    `local keys = {${opts.keys.map((k) => JSON.stringify(k)).join(', ')}}`,
    'local i = 0',
    'wrk.method = "POST"',
    `wrk.body = ${JSON.stringify(opts.body)}`,
    ...Object.entries(opts.headers).map(([k, v]) => `wrk.headers[${JSON.stringify(k)}] = ${JSON.stringify(v)}`),
    'request = function()',
    '  i = i + 1',
    '  wrk.headers["Authorization"] = "Bearer " .. keys[(i % #keys) + 1]',
    '  return wrk.format()',
    'end',
  ].join('\n');
  writeFileSync(script, lua);
  const proc = Bun.spawn(['taskset', '-c', String(opts.cpu), 'wrk', '-t1', `-c${opts.connections}`, `-d${opts.seconds}s`, '--latency', '--timeout', '10s', '-s', script, opts.url], { stdout: 'pipe', stderr: 'pipe' });
  const out = await new Response(proc.stdout).text();
  await proc.exited;
  const pct = (p: string) => {
    const m = new RegExp(`\\s${p}%\\s+([\\d.]+)(us|ms|s)`).exec(out);
    return m ? +ms(m[1]!, m[2]!).toFixed(3) : NaN;
  };
  const requests = Number(/(\d+) requests in/.exec(out)?.[1] ?? 0);
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0);
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const socketErrors = socket ? socket.slice(1).reduce((n, x) => n + Number(x), 0) : 0;
  return { rps: Math.round(Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? 0)), p50_ms: pct('50'), p99_ms: pct('99'), requests, errors: non2xx + socketErrors };
}

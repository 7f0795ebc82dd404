/** Runs the compiled binary (dist/aqueduct, built by `make build`) for smoke tests. */
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const BINARY = join(import.meta.dir, '../../dist/aqueduct');

export function requireBinary(): void {
  if (!existsSync(BINARY)) throw new Error(`${BINARY} is missing: run "make build" (make test does)`);
}

export function tempDir(prefix = 'aq-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export interface RunningBinary {
  url: string;
  cwd: string;
  proc: Bun.Subprocess<'ignore', 'pipe', 'pipe'>;
  /** Everything written to stderr so far. */
  log(): string;
  /** Everything written to stdout so far (the access log). */
  stdout(): string;
  stop(signal?: NodeJS.Signals): Promise<number>;
}

/** Starts `aqueduct serve` on a free port in `cwd` and waits until it listens. */
export async function startBinary(opts: { cwd?: string; args?: string[]; env?: Record<string, string> } = {}): Promise<RunningBinary> {
  requireBinary();
  const cwd = opts.cwd ?? tempDir();
  const proc = Bun.spawn([BINARY, 'serve', '--host', '127.0.0.1', '--port', '0', ...(opts.args ?? [])], {
    cwd,
    env: { PATH: process.env.PATH ?? '', HOME: cwd, ...opts.env },
    stdin: 'ignore',
    stdout: 'pipe',
    stderr: 'pipe',
  });
  let stderr = '';
  let stdout = '';
  const decoder = new TextDecoder();
  // Always drain stdout, or a busy gateway would block on a full pipe.
  void (async () => {
    const out = new TextDecoder();
    for await (const chunk of proc.stdout) stdout += out.decode(chunk, { stream: true });
  })();
  const reader = proc.stderr.getReader();
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`binary did not start within 10 s:\n${stderr}`)), 10_000);
    (async () => {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        stderr += decoder.decode(value, { stream: true });
        const m = /listening on (http:\/\/[^\s]+)/.exec(stderr);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]!);
        }
      }
      clearTimeout(timer);
      reject(new Error(`binary exited before listening (code ${await proc.exited}):\n${stderr}`));
    })();
  });
  return {
    url,
    cwd,
    proc,
    log: () => stderr,
    stdout: () => stdout,
    async stop(signal = 'SIGTERM') {
      proc.kill(signal);
      return proc.exited;
    },
  };
}

/** Runs a one-shot command of the binary. */
export async function runBinary(args: string[], opts: { cwd: string; env?: Record<string, string> }) {
  requireBinary();
  const proc = Bun.spawn([BINARY, ...args], {
    cwd: opts.cwd,
    env: { PATH: process.env.PATH ?? '', HOME: opts.cwd, ...opts.env },
    stdout: 'pipe',
    stderr: 'pipe',
  });
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  return { stdout, stderr, code };
}

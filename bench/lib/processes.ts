/** Starting the systems under test as pinned processes, and reading their memory. */
import { readFileSync } from 'node:fs';

export interface Proc {
  url: string;
  pid: number;
  stop(): Promise<void>;
}

/** Spawns `cmd` (pinned to `cpu` with taskset) and waits for `ready` in its output. */
export async function spawnPinned(cpu: number, cmd: string[], ready: RegExp, opts: { cwd?: string; env?: Record<string, string> } = {}): Promise<Proc> {
  const proc = Bun.spawn(['taskset', '-c', String(cpu), ...cmd], { cwd: opts.cwd, env: { ...process.env, ...opts.env }, stdout: 'pipe', stderr: 'pipe' });
  let text = '';
  let started = false;
  const decoder = new TextDecoder();
  const found = await new Promise<RegExpExecArray>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${cmd.join(' ')} did not start: ${text}`)), 20_000);
    for (const stream of [proc.stdout, proc.stderr]) {
      (async () => {
        for await (const chunk of stream) {
          // Once started, the output (an access line per request) is drained unread: matching it would
          // cost the bench process CPU that the systems under test compete for.
          if (started) continue;
          text += decoder.decode(chunk);
          const m = ready.exec(text.replace(/\x1b\[[0-9;]*m/g, ''));
          if (m) {
            started = true;
            clearTimeout(timer);
            resolve(m);
          }
        }
      })();
    }
  });
  return {
    url: found[1]!,
    pid: proc.pid,
    async stop() {
      proc.kill();
      await proc.exited;
    },
  };
}

/** Resident memory of a process and its children, MB. */
export function rssMb(pid: number): number {
  let total = 0;
  const visit = (p: number) => {
    try {
      total += Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${p}/status`, 'utf8'))?.[1] ?? 0);
      const children = readFileSync(`/proc/${p}/task/${p}/children`, 'utf8').trim();
      for (const c of children.split(/\s+/).filter(Boolean)) visit(Number(c));
    } catch {
      // gone
    }
  };
  visit(pid);
  return +(total / 1024).toFixed(1);
}

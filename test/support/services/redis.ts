/**
 * A real redis-server for tests: 127.0.0.1 on a free port, in a temp dir, no persistence, not daemonized,
 * killed when the test process ends. Fails loudly when redis-server is missing (CI installs it with
 * `make test-tools`), so tests that need it never skip silently.
 */
import { spawn, type Subprocess } from 'bun';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface RedisService {
  url: string;
  port: number;
  /** Kills the server (SIGKILL: what an outage looks like to clients). */
  stop(): Promise<void>;
  /** Starts it again on the same port, empty (no persistence). */
  restart(): Promise<void>;
  /** Freezes the server (SIGSTOP): connections stay open and nothing answers. */
  pause(): void;
  resume(): void;
}

const BINARY = ['/usr/bin/redis-server', '/usr/local/bin/redis-server'].find((p) => Bun.file(p).size > 0) ?? Bun.which('redis-server');

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

async function waitForPort(port: number, proc: Subprocess, ms = 5000): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (proc.exitCode !== null) throw new Error(`redis-server exited with ${proc.exitCode}`);
    try {
      const sock = await Bun.connect({ hostname: '127.0.0.1', port, socket: { data() {} } });
      sock.end();
      return;
    } catch {
      await Bun.sleep(20);
    }
  }
  throw new Error(`redis-server did not listen on ${port} within ${ms} ms`);
}

const running = new Set<Subprocess>();
const dirs = new Set<string>();
process.on('exit', () => {
  for (const p of running) p.kill('SIGKILL');
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** Starts a redis-server; with `password`, clients must authenticate (the url carries it). */
export async function startRedis(o: { password?: string } = {}): Promise<RedisService> {
  if (!BINARY) throw new Error('redis-server is not installed: run `make test-tools` (Debian package redis-server); the Redis tests cannot run without it');
  const dir = mkdtempSync(join(tmpdir(), 'aq-redis-'));
  const port = await freePort();
  let proc: Subprocess | undefined;
  const start = async () => {
    proc = spawn([BINARY, '--bind', '127.0.0.1', '--port', String(port), '--save', '', '--appendonly', 'no', '--daemonize', 'no', '--dir', dir, '--protected-mode', 'no', '--loglevel', 'warning', ...(o.password ? ['--requirepass', o.password] : [])], {
      stdout: 'ignore',
      stderr: 'pipe',
    });
    running.add(proc);
    await waitForPort(port, proc);
  };
  const stop = async () => {
    if (!proc) return;
    const p = proc;
    proc = undefined;
    p.kill('SIGKILL');
    await p.exited;
    running.delete(p);
  };
  await start();
  dirs.add(dir);
  return {
    url: `redis://${o.password ? `:${encodeURIComponent(o.password)}@` : ''}127.0.0.1:${port}`,
    port,
    stop,
    async restart() {
      await stop();
      await start();
    },
    pause() {
      proc?.kill('SIGSTOP');
    },
    resume() {
      proc?.kill('SIGCONT');
    },
  };
}




/**
 * A throwaway PostgreSQL server for tests: Debian's `postgresql` package (`make test-tools` installs it),
 * listening on 127.0.0.1 on a free port with trust auth, its socket and data in a temp dir, fsync off.
 * PostgreSQL refuses to run as root (CI runs tests as root): then initdb and postgres run as the `postgres`
 * user the package creates (or `nobody`) through setpriv, in a temp dir owned by that user.
 *
 * Start-up cost: initdb (~1.5 s) runs once per machine and user into a cached template directory in the
 * temp dir; each server copies it (~0.1 s) and starts (~0.2 s). `database()` gives each test its own fresh
 * database (CREATE DATABASE from template1, ~0.1 s).
 *
 * Missing PostgreSQL is an error, not a skip: tests that need it fail saying how to install it.
 */
import { SQL } from 'bun';
import { chownSync, existsSync, mkdtempSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Postgres {
  /** The server's maintenance database (`postgres`), as the superuser `postgres`. */
  url: string;
  /** Creates a fresh, empty database and returns its url. */
  database(): Promise<string>;
  /** Stops the server, keeping its data (an outage); `restart()` brings it back on the same port. */
  halt(): Promise<void>;
  restart(): Promise<void>;
  stop(): Promise<void>;
}

/** initdb's options; part of the template's cache key so a change makes a new template. */
const INITDB_ARGS = ['-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync', '--no-instructions'];

/** The directory with initdb and postgres: Debian puts them in /usr/lib/postgresql/<version>/bin, off PATH. */
export function postgresBinDir(): string {
  const fromEnv = process.env.AQUEDUCT_TEST_PG_BIN;
  const base = '/usr/lib/postgresql';
  const versions = existsSync(base) ? readdirSync(base).filter((v) => existsSync(join(base, v, 'bin/postgres'))) : [];
  const newest = versions.sort((a, b) => Number(b) - Number(a))[0];
  const onPath = Bun.which('postgres');
  const candidates = fromEnv ? [fromEnv] : [...(newest === undefined ? [] : [join(base, newest, 'bin')]), ...(onPath === null ? [] : [join(onPath, '..')])];
  const found = candidates.find((dir) => existsSync(join(dir, 'postgres')) && existsSync(join(dir, 'initdb')));
  if (found !== undefined) return found;
  throw new Error(
    'PostgreSQL is not installed: these tests need its server binaries (initdb, postgres). ' +
      'Run `make test-tools` (as root on Debian it installs the `postgresql` package), or set AQUEDUCT_TEST_PG_BIN to the folder holding them.',
  );
}

/** Root runs the server as an unprivileged user; anyone else runs it as themselves. */
function runAs(): { uid: number; gid: number; prefix: string[] } | null {
  if (process.getuid?.() !== 0) return null;
  for (const name of ['postgres', 'nobody']) {
    const r = Bun.spawnSync(['id', '-u', name]);
    const g = Bun.spawnSync(['id', '-g', name]);
    if (r.exitCode === 0 && g.exitCode === 0) {
      const uid = Number(r.stdout.toString().trim());
      const gid = Number(g.stdout.toString().trim());
      return { uid, gid, prefix: ['setpriv', `--reuid=${uid}`, `--regid=${gid}`, '--clear-groups'] };
    }
  }
  throw new Error('running as root and no unprivileged user (postgres, nobody) to run PostgreSQL as');
}

/** A port free right now (the server may still lose it to a race; start() then retries). */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** The initdb output, made once and reused: a copy of it is a fresh cluster. */
function template(bin: string, user: ReturnType<typeof runAs>): string {
  const version = Bun.spawnSync([join(bin, 'postgres'), '--version']).stdout.toString().trim();
  const key = Bun.hash(JSON.stringify([version, INITDB_ARGS, user?.uid ?? process.getuid?.()])).toString(36);
  const dir = join(tmpdir(), `aqueduct-pg-template-${key}`);
  if (existsSync(join(dir, 'PG_VERSION'))) return dir;
  const work = mkdtempSync(join(tmpdir(), 'aqueduct-pg-initdb-'));
  if (user) chownSync(work, user.uid, user.gid);
  const data = join(work, 'data');
  const r = Bun.spawnSync([...(user?.prefix ?? []), join(bin, 'initdb'), '-D', data, ...INITDB_ARGS], { stderr: 'pipe', stdout: 'pipe' });
  if (r.exitCode !== 0) throw new Error(`initdb failed: ${r.stderr.toString()}${r.stdout.toString()}`);
  try {
    renameSync(data, dir); // atomic: a concurrent test process either wins or finds it made
  } catch {
    if (!existsSync(join(dir, 'PG_VERSION'))) throw new Error(`could not keep the initdb template at ${dir}`);
  }
  rmSync(work, { recursive: true, force: true });
  return dir;
}

export async function startPostgres(): Promise<Postgres> {
  const bin = postgresBinDir();
  const user = runAs();
  const tpl = template(bin, user);
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      return await startOnce(bin, user, tpl, await freePort());
    } catch (e) {
      lastError = e;
      if (!String(e).includes('could not bind') && !String(e).includes('Address already in use')) throw e;
    }
  }
  throw lastError;
}

async function startOnce(bin: string, user: ReturnType<typeof runAs>, tpl: string, port: number): Promise<Postgres> {
  const dir = mkdtempSync(join(tmpdir(), 'aqueduct-pg-'));
  const data = join(dir, 'data');
  // cp -a keeps the owner (the unprivileged user) and the 0700 mode PostgreSQL insists on.
  const cp = Bun.spawnSync(['cp', '-a', tpl, data], { stderr: 'pipe' });
  if (cp.exitCode !== 0) throw new Error(`could not copy the PostgreSQL template: ${cp.stderr.toString()}`);
  if (user) chownSync(dir, user.uid, user.gid);
  const args = [
    join(bin, 'postgres'),
    '-D', data,
    '-p', String(port),
    '-k', dir,
    '-c', 'listen_addresses=127.0.0.1',
    // Throwaway data: no durability, no waiting on the disk.
    '-c', 'fsync=off',
    '-c', 'synchronous_commit=off',
    '-c', 'full_page_writes=off',
    '-c', 'max_connections=50',
  ];
  // The shell ends the server when our stdin closes, so a test process that dies leaves no server behind.
  const script = '"$@" & pid=$!; trap \'kill -QUIT $pid\' TERM; read _ || true; kill -QUIT $pid 2>/dev/null; wait $pid';
  const launch = async () => {
    const proc = Bun.spawn([...(user?.prefix ?? []), 'sh', '-c', script, 'sh', ...args], { stdin: 'pipe', stdout: 'ignore', stderr: 'pipe' });
    const log: string[] = [];
    const ready = new Promise<void>((resolve, reject) => {
      (async () => {
        const decoder = new TextDecoder();
        let settled = false;
        for await (const chunk of proc.stderr) {
          const text = decoder.decode(chunk, { stream: true });
          log.push(text);
          if (log.length > 200) log.shift();
          if (!settled && text.includes('ready to accept connections')) {
            settled = true;
            resolve();
          }
        }
        if (!settled) reject(new Error(`PostgreSQL did not start: ${log.join('')}`));
      })().catch(reject);
    });
    const timeout = setTimeout(() => proc.kill('SIGKILL'), 15_000);
    try {
      await ready;
    } finally {
      clearTimeout(timeout);
    }
    return proc;
  };
  let proc: Awaited<ReturnType<typeof launch>> | undefined;
  try {
    proc = await launch();
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  const halt = async () => {
    if (!proc) return;
    proc.stdin.end();
    await proc.exited;
    proc = undefined;
  };
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  const admin = new SQL({ url, max: 1 });
  let n = 0;
  return {
    url,
    async database() {
      const name = `test_${process.pid}_${++n}`;
      // FILE_COPY: copying template1's files is ~2x faster than the default WAL_LOG with fsync off.
      await admin.unsafe(`CREATE DATABASE ${name} STRATEGY FILE_COPY`);
      return `postgres://postgres@127.0.0.1:${port}/${name}`;
    },
    halt,
    async restart() {
      proc ??= await launch();
    },
    async stop() {
      await admin.close();
      await halt();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

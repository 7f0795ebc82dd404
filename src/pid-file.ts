/** <data-dir>/aqueduct.pid: written while `serve` runs, so commands that must not run beside it can tell. */
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const file = (dataDir: string) => join(dataDir, 'aqueduct.pid');

export function writePidFile(dataDir: string): () => void {
  writeFileSync(file(dataDir), `${process.pid}\n`);
  return () => rmSync(file(dataDir), { force: true });
}

export function isServing(dataDir: string): boolean {
  if (!existsSync(file(dataDir))) return false;
  const pid = Number(readFileSync(file(dataDir), 'utf8').trim());
  try {
    return Number.isInteger(pid) && pid > 0 && process.kill(pid, 0);
  } catch {
    return false; // a stale file from a crash
  }
}

/** Opens (and migrates) the database for one operator command, straight on the data directory. */
import { resolveSettings, type Settings } from '../config/settings';
import { openDatabase, type DbHandle } from '../db/connection';
import { migrate } from '../db/migrate';
import { Directory } from '../domain/directory';
import { UsageError } from './args';
import type { CommandIO } from './context';

/** The Directory of the database, for the management commands; the database stays open until `fn` settles. */
export function withDirectory<T>(flags: ReadonlyMap<string, string>, io: CommandIO, fn: (dir: Directory) => Promise<T>): Promise<T> {
  return withDirectoryAsync(flags, io, (dir) => fn(dir));
}

/** The database itself too (the usage reads), SQLite only; it stays open until `fn` settles. */
export async function withDirectoryAsync<T>(flags: ReadonlyMap<string, string>, io: CommandIO, fn: (dir: Directory, h: DbHandle, settings: Settings) => Promise<T>): Promise<T> {
  const { settings } = resolveSettings(flags, io.env);
  refuseDatabaseUrl(settings);
  const h = openDatabase(settings.dataDir);
  try {
    migrate(h.sqlite);
    return await fn(new Directory(h.sql), h, settings);
  } finally {
    h.close();
  }
}

/** The domain is SQLite-only for now: working on the data directory while PostgreSQL is configured would mislead. */
export function refuseDatabaseUrl(settings: Settings): void {
  if (settings.databaseUrl !== undefined) {
    throw new UsageError('AQUEDUCT_DATABASE_URL (--database-url) is set, and this command works on SQLite only for now; unset it');
  }
}

export const iso = (ms: number | null) => (ms === null ? '-' : new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z'));

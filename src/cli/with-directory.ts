/**
 * Opens (and migrates) the database for one operator command: PostgreSQL when AQUEDUCT_DATABASE_URL
 * (--database-url) is set, else the data directory's SQLite.
 */
import { SQL } from 'bun';
import { resolveSettings, SETTINGS, type Settings } from '../config/settings';
import { openDatabase, type DbHandle } from '../db/connection';
import { migrate } from '../db/migrate';
import { migratePg } from '../db/pg/migrate';
import { pgSql } from '../db/pg/sql';
import { Directory } from '../domain/directory';
import { UsageError } from './args';
import type { CommandIO } from './context';

/**
 * The Directory of the database the settings name, for the management commands (orgs, teams, users, keys,
 * limits, exclusions); it stays open until `fn` settles. On PostgreSQL the migrations are applied first
 * (advisory-locked, as "aqueduct migrate" does), like the SQLite file's.
 */
export async function withDirectory<T>(flags: ReadonlyMap<string, string>, io: CommandIO, fn: (dir: Directory) => Promise<T>): Promise<T> {
  const { settings, problems } = resolveSettings(flags, io.env);
  // A URL given but unusable is not "no URL": working on the data directory instead would mislead.
  const urlProblem = problems.find((p) => p.startsWith(SETTINGS.databaseUrl.env) || p.startsWith(SETTINGS.databaseUrl.flag));
  if (urlProblem !== undefined) throw new UsageError(urlProblem);
  if (settings.databaseUrl === undefined) return withDirectoryAsync(flags, io, (dir) => fn(dir));
  const client = new SQL({ url: settings.databaseUrl, max: 2, connectionTimeout: 10 });
  const sql = pgSql(client);
  try {
    await migratePg(client);
    return await fn(new Directory(sql));
  } finally {
    await sql.close();
  }
}

/** The SQLite database itself too (the usage report); it stays open until `fn` settles. */
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

/** For the commands still SQLite-only (the usage report): working on the data directory while PostgreSQL is configured would mislead. */
export function refuseDatabaseUrl(settings: Settings): void {
  if (settings.databaseUrl !== undefined) {
    throw new UsageError('AQUEDUCT_DATABASE_URL (--database-url) is set, and this command works on SQLite only for now; unset it');
  }
}

export const iso = (ms: number | null) => (ms === null ? '-' : new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z'));

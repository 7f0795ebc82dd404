/**
 * Opens (and migrates) the database for one operator command: PostgreSQL when AQUEDUCT_DATABASE_URL
 * (--database-url) is set, else the data directory's SQLite — the same opener as serve (src/db/open-state.ts).
 */
import { resolveSettings, SETTINGS, type Settings } from '../config/settings';
import { openStateDb, type StateDb } from '../db/open-state';
import { Directory } from '../domain/directory';
import { UsageError } from './args';
import type { CommandIO } from './context';

/**
 * The Directory of the database the settings name, for the management commands (orgs, teams, users, keys,
 * limits, exclusions), with the database itself (the usage report); it stays open until `fn` settles. On
 * PostgreSQL the migrations are applied first (advisory-locked, as "aqueduct migrate" does), like the SQLite file's.
 */
export async function withState<T>(flags: ReadonlyMap<string, string>, io: CommandIO, fn: (dir: Directory, state: StateDb, settings: Settings) => Promise<T>): Promise<T> {
  const { settings, problems } = resolveSettings(flags, io.env);
  // A URL given but unusable is not "no URL": working on the data directory instead would mislead.
  const urlProblem = problems.find((p) => p.startsWith(SETTINGS.databaseUrl.env) || p.startsWith(SETTINGS.databaseUrl.flag));
  if (urlProblem !== undefined) throw new UsageError(urlProblem);
  const state = await openStateDb(settings, { pool: 2, connectTimeoutS: 10 });
  try {
    return await fn(new Directory(state.sql), state, settings);
  } finally {
    await state.close();
  }
}

export const withDirectory = <T>(flags: ReadonlyMap<string, string>, io: CommandIO, fn: (dir: Directory) => Promise<T>): Promise<T> => withState(flags, io, (dir) => fn(dir));

export const iso = (ms: number | null) => (ms === null ? '-' : new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z'));

/** For backup and restore, which copy the data directory's SQLite file: on PostgreSQL that file is not the state. */
export function refuseDatabaseUrl(settings: Settings): void {
  if (settings.databaseUrl !== undefined) {
    throw new UsageError('AQUEDUCT_DATABASE_URL (--database-url) is set: the state is in PostgreSQL, not in the data directory; back it up with pg_dump (and the file store with its own tools)');
  }
}

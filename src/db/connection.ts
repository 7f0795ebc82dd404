/** Opens the SQLite database with the pragmas the gateway relies on, and wraps it in Drizzle. */
import { Database } from 'bun:sqlite';
import { drizzle, type BunSQLiteDatabase } from 'drizzle-orm/bun-sqlite';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import * as schema from './schema';
import type { Sql } from './sql';
import { sqliteSql } from './sqlite/sql';

export type Db = BunSQLiteDatabase<typeof schema>;

export interface DbHandle {
  sqlite: Database;
  db: Db;
  /** The async SQL port on this connection (the stores moved off drizzle run through it; see db/sql.ts). */
  sql: Sql;
  path: string;
  close(): void;
}

export const DB_FILE = 'aqueduct.db';

export function openDatabase(dataDir: string): DbHandle {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const path = join(dataDir, DB_FILE);
  return wrap(new Database(path, { create: true, strict: true }), path);
}

/** An in-memory database, for tests. */
export function openMemoryDatabase(): DbHandle {
  return wrap(new Database(':memory:', { strict: true }), ':memory:');
}

function wrap(sqlite: Database, path: string): DbHandle {
  // busy_timeout first: switching to WAL needs a lock another process (the CLI, the server) may hold.
  sqlite.run('PRAGMA busy_timeout = 5000');
  sqlite.run('PRAGMA journal_mode = WAL');
  sqlite.run('PRAGMA synchronous = NORMAL');
  sqlite.run('PRAGMA foreign_keys = ON');
  const db = drizzle({ client: sqlite, schema });
  return { sqlite, db, sql: sqliteSql(sqlite), path, close: () => sqlite.close() };
}

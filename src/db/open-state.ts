/**
 * The gateway's state database, as `serve` and the management commands open it: the data directory's SQLite
 * file (the default) or, with AQUEDUCT_DATABASE_URL, PostgreSQL — migrated in both cases before it is used.
 * Every store takes the `sql` port (src/db/sql.ts) and runs the same statements on either.
 *
 * PostgreSQL migrations run under an advisory lock (src/db/pg/migrate.ts), so nodes starting together apply
 * each one once. The pool is sized for a gateway's few concurrent statements per request (key-cache misses,
 * file and batch metadata, the console); usage and saved responses are written by the writer thread on its
 * own connection.
 */
import { SQL } from 'bun';
import { openDatabase, type DbHandle } from './connection';
import { migrate } from './migrate';
import { migratePg } from './pg/migrate';
import { pgSql } from './pg/sql';
import type { Sql } from './sql';

export interface StateDb {
  sql: Sql;
  /** The SQLite handle when the state is in the data directory; undefined on PostgreSQL. */
  sqlite?: DbHandle;
  /** Where the state is, for logs (a path, or a PostgreSQL host/database without credentials). */
  where: string;
  /** Migrations this start applied (empty when the database was up to date or another node applied them). */
  applied: string[];
  /** Closes the pool, or the SQLite file. */
  close(): Promise<void>;
}

/** Pool size per node: the request path's statements are short; more connections only add PostgreSQL memory. */
export const PG_POOL_SIZE = 8;

/** `pool`: PostgreSQL connections (a one-shot command needs fewer than serve); `connectTimeoutS`: give up connecting after. */
export async function openStateDb(settings: { dataDir: string; databaseUrl?: string }, o: { pool?: number; connectTimeoutS?: number } = {}): Promise<StateDb> {
  const url = settings.databaseUrl;
  if (url === undefined) {
    const h = openDatabase(settings.dataDir);
    const applied = migrate(h.sqlite);
    return {
      sql: h.sql,
      sqlite: h,
      where: h.path,
      applied,
      close: async () => h.close(),
    };
  }
  const client = new SQL({ url, max: o.pool ?? PG_POOL_SIZE, ...(o.connectTimeoutS !== undefined ? { connectionTimeout: o.connectTimeoutS } : {}) });
  try {
    const applied = await migratePg(client);
    return { sql: pgSql(client), where: postgresWhere(url), applied, close: () => client.close() };
  } catch (err) {
    await client.close().catch(() => {});
    throw err;
  }
}

/** A PostgreSQL url named without its credentials (the output may end up in logs). */
export function postgresWhere(url: string): string {
  const u = new URL(url);
  return `postgres://${u.host}${u.pathname}`;
}

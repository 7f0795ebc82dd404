/**
 * Fresh, migrated databases behind the Sql port (src/db/sql.ts), one per dialect, for contract tests that
 * run the same assertions against SQLite and PostgreSQL. Call `stopDialects()` in afterAll.
 */
import { SQL } from 'bun';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase, openMemoryDatabase } from '../../src/db/connection';
import { migrate } from '../../src/db/migrate';
import { migratePg } from '../../src/db/pg/migrate';
import { openPgSql } from '../../src/db/pg/sql';
import type { Sql } from '../../src/db/sql';
import { type Postgres, startPostgres } from '../support/services/postgres';

export interface Dialect {
  name: 'sqlite' | 'postgres';
  fresh(): Promise<Sql>;
  /**
   * A fresh database seen by two nodes: two connections of their own (SQLite: two connections to one file,
   * as two processes on one data directory; PostgreSQL: two pools), for what must hold across nodes.
   */
  freshPair(): Promise<[Sql, Sql]>;
}

let pg: Postgres | undefined;
const opened: Sql[] = [];
/** The url of each PostgreSQL database handed out, for `peer`. */
const urls = new WeakMap<Sql, string>();
const handles: { close(): void }[] = [];

export const DIALECTS: Dialect[] = [
  {
    name: 'sqlite',
    async fresh() {
      const h = openMemoryDatabase();
      migrate(h.sqlite);
      handles.push(h);
      return h.sql;
    },
    async freshPair() {
      const dir = mkdtempSync(join(tmpdir(), 'aq-two-nodes-'));
      const a = openDatabase(dir);
      migrate(a.sqlite);
      const b = openDatabase(dir);
      handles.push(a, b);
      return [a.sql, b.sql];
    },
  },
  {
    name: 'postgres',
    async fresh() {
      const url = await freshPgUrl();
      const sql = openPgSql(url, { max: 2 });
      opened.push(sql);
      urls.set(sql, url);
      return sql;
    },
    async freshPair() {
      const url = await freshPgUrl();
      const pair: [Sql, Sql] = [openPgSql(url, { max: 2 }), openPgSql(url, { max: 2 })];
      opened.push(...pair);
      return pair;
    },
  },
];

/** A fresh, migrated PostgreSQL database's url. */
async function freshPgUrl(): Promise<string> {
  pg ??= await startPostgres();
  const url = await pg.database();
  const admin = new SQL({ url, max: 1 });
  await migratePg(admin);
  await admin.close();
  return url;
}

/**
 * Another node's connection to the same database as `sql` (from `fresh`): on PostgreSQL a pool of its own;
 * on SQLite (in memory, one connection) the same Sql — its writes still reach no cache unless it is told.
 */
export async function peer(sql: Sql): Promise<Sql> {
  const url = urls.get(sql);
  if (url === undefined) return sql;
  const other = openPgSql(url, { max: 2 });
  opened.push(other);
  return other;
}

export async function stopDialects(): Promise<void> {
  for (const s of opened.splice(0)) await s.close();
  for (const h of handles.splice(0)) h.close();
  await pg?.stop();
  pg = undefined;
}

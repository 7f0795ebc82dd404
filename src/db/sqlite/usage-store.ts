/**
 * The usage store on SQLite (see src/db/usage-store.ts): synchronous bun:sqlite under the async port.
 * A batch is one IMMEDIATE transaction (a savepoint inside a caller's transaction, as a batch line's finish
 * uses it) with a prepared statement per row and per rollup row: SQLite's statements are cheap and a
 * single writer holds the file, so multi-row statements would buy little.
 */
import type { Database, Statement } from 'bun:sqlite';
import { writeResponseRows } from '../response-rows';
import type { Sql } from '../sql';
import { IDENTITY, USAGE_COLUMNS, type RollupUpsert, type SqlValue, type UsageStore, type UsageWrite } from '../usage-store';
import { sqliteSql } from './sql';

const statements = new WeakMap<Database, Map<string, Statement>>();

function prepared(db: Database, sql: string): Statement {
  let bySql = statements.get(db);
  if (!bySql) statements.set(db, (bySql = new Map()));
  let stmt = bySql.get(sql);
  if (!stmt) bySql.set(sql, (stmt = db.prepare(sql)));
  return stmt;
}

const INSERT = `INSERT INTO usage (${USAGE_COLUMNS.join(', ')}) VALUES (${USAGE_COLUMNS.map(() => '?').join(', ')})`;
const STORED = 'SELECT 1 FROM usage WHERE created_at = ? AND request_id = ? AND key_id = ? LIMIT 1';

export function upsertSql(u: RollupUpsert, placeholders: string): string {
  const set = [
    ...u.add.map((c) => `${c} = ${u.table}.${c} + excluded.${c}`),
    ...u.least.map((c) => `${c} = min(${u.table}.${c}, excluded.${c})`),
    ...u.greatest.map((c) => `${c} = max(${u.table}.${c}, excluded.${c})`),
  ];
  return `INSERT INTO ${u.table} (${u.columns.join(', ')}) VALUES ${placeholders}
          ON CONFLICT (${u.key.join(', ')}) DO UPDATE SET ${set.join(', ')}`;
}

/** The statements of a write of `rows` (the batch's rows, less any a recheck found stored): inserts, then rollup upserts. */
function* statementsOf(batch: UsageWrite, rows: SqlValue[][]): Generator<[string, SqlValue[]]> {
  for (const r of rows) yield [INSERT, r];
  if (rows.length === 0) return;
  for (const u of batch.rollups(rows)) {
    const text = upsertSql(u, `(${u.columns.map(() => '?').join(', ')})`);
    for (const r of u.rows) yield [text, r];
  }
}

/** The write, synchronously: for the writer thread and for callers inside their own transaction. */
export function writeUsageSync(db: Database, batch: UsageWrite): number {
  return db.transaction(() => {
    let rows = batch.rows;
    if (batch.recheck) {
      const stored = prepared(db, STORED);
      rows = rows.filter((r) => stored.get(...IDENTITY.map((i) => r[i]!)) === null);
    }
    for (const [text, params] of statementsOf(batch, rows)) prepared(db, text).run(...params);
    return rows.length;
  }).immediate();
}

/** The same write through the Sql port, inside the caller's transaction `tx` (a batch line's finish). */
export async function writeUsageThroughSqlite(tx: Sql, batch: UsageWrite): Promise<number> {
  const rows: SqlValue[][] = [];
  for (const r of batch.rows) if (!batch.recheck || (await tx.get(STORED, IDENTITY.map((i) => r[i]!))) === undefined) rows.push(r);
  for (const [text, params] of statementsOf(batch, rows)) await tx.run(text, params);
  return rows.length;
}

export function sqliteUsageStore(db: Database): UsageStore {
  const sql = sqliteSql(db);
  return {
    dialect: 'sqlite',
    values: sql.values,
    run: sql.run,
    num: sql.num,
    // In the queue's turn: never inside another caller's open async transaction (see sqlite/sql.ts).
    write: (batch) => sql.exclusive(() => writeUsageSync(db, batch)),
    writeResponses: (rows) => writeResponseRows(sql, rows),
    close: sql.close,
  };
}

/**
 * The usage store on PostgreSQL (see src/db/usage-store.ts), over Bun's SQL client.
 *
 * A batch is one transaction: the usage rows in one INSERT, then each rollup table's additions as one
 * `INSERT … ON CONFLICT (key) DO UPDATE SET x = t.x + excluded.x`, the rows sent as a column per array. Such an upsert is atomic per
 * row, so nodes writing the same minute/key/model rows at once add up correctly (the second waits for the
 * first's row lock, then adds to its committed value). Deadlocks between writers are avoided by locking in
 * one order: the tables in a fixed order and each table's rows sorted by key (the domain sorts them; the
 * upsert keeps their order with ORDER BY ordinality). Should one still happen, the transaction rolls back
 * whole and the batch is retried like any failed one.
 *
 * Counted once: a failed batch comes back to the recorder and is retried with `recheck` (UsageWrite), which
 * skips the calls already in `usage` (same created_at, request_id, key_id) and adds only the others to the
 * rollups, in the retry's transaction. That covers a commit whose acknowledgement was lost (the connection
 * dropped after COMMIT was sent): its rows are found and skipped. The window left open: a retry that starts
 * while the lost commit is still being applied on the server would not see it yet; retries wait for the next
 * flush (100 ms), far longer than a commit takes, and a server that lost the connection before receiving
 * COMMIT rolls the transaction back, so then there is nothing to find.
 */
import { SQL } from 'bun';
import type { Sql } from '../sql';
import { pgSql } from './sql';
import { writeResponseRows } from '../response-rows';
import { IDENTITY, USAGE_COLUMNS, type RollupUpsert, type SqlValue, type UsageStore, type UsageWrite } from '../usage-store';
import { arrayLiteral, columnsOf, typeOf, unnestInsert } from './unnest';

function upsertSql(u: RollupUpsert): string {
  const set = [
    ...u.add.map((c) => `${c} = ${u.table}.${c} + excluded.${c}`),
    ...u.least.map((c) => `${c} = least(${u.table}.${c}, excluded.${c})`),
    ...u.greatest.map((c) => `${c} = greatest(${u.table}.${c}, excluded.${c})`),
  ];
  // ORDER BY ord: rows are locked in the domain's key order (see the header).
  return `${unnestInsert(u.table, u.columns)}
          ON CONFLICT (${u.key.join(', ')}) DO UPDATE SET ${set.join(', ')}`;
}

const INSERT_USAGE = unnestInsert('usage', USAGE_COLUMNS);
const IDENTITY_COLUMNS = IDENTITY.map((i) => USAGE_COLUMNS[i]);
const STORED = `SELECT created_at, request_id, key_id FROM usage
                 WHERE created_at >= ? AND created_at <= ?
                   AND (created_at, request_id, key_id) IN (SELECT * FROM unnest(?::bigint[], ?::text[], ?::integer[]))`;

const identity = (r: unknown[]) => r.map(String).join('\u0000');

/** The rows of the batch not stored yet (see UsageWrite.recheck): one look, through the created_at index. */
async function unstored(tx: Sql, rows: SqlValue[][]): Promise<SqlValue[][]> {
  if (rows.length === 0) return rows;
  let from = Infinity;
  let to = -Infinity;
  for (const r of rows) {
    from = Math.min(from, r[0] as number);
    to = Math.max(to, r[0] as number);
  }
  const ids = IDENTITY.map((i) => rows.map((r) => r[i]!));
  const found = await tx.values(STORED, [from, to, ...ids.map((v, k) => arrayLiteral(v, typeOf(IDENTITY_COLUMNS[k]!)))]);
  const stored = new Set(found.map(identity));
  return rows.filter((r) => !stored.has(identity(IDENTITY.map((i) => r[i]))));
}

/** The write inside the caller's transaction `tx` (the store's own, or a batch line's finish). */
export async function writeUsageThroughPg(tx: Sql, batch: UsageWrite): Promise<number> {
  const rows = batch.recheck ? await unstored(tx, batch.rows) : batch.rows;
  if (rows.length === 0) return 0;
  await tx.run(INSERT_USAGE, columnsOf(USAGE_COLUMNS, rows));
  for (const u of batch.rollups(rows)) await tx.run(upsertSql(u), columnsOf(u.columns, u.rows));
  return rows.length;
}

/** A store on its own connection pool (`max` connections; the writer thread uses one). */
export function pgUsageStore(url: string, opts: { max?: number } = {}): UsageStore {
  const sql = pgSql(new SQL({ url, max: opts.max ?? 4 }));
  return {
    dialect: 'postgres',
    values: sql.values,
    run: sql.run,
    num: sql.num,
    write: (batch) => sql.transaction((tx) => writeUsageThroughPg(tx, batch)),
    writeResponses: (rows) => writeResponseRows(sql, rows),
    close: sql.close,
  };
}

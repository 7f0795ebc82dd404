/**
 * The usage store port: what the usage domain (src/domain/usage-*.ts) needs from a database, one
 * implementation per dialect (src/db/sqlite/usage-store.ts, src/db/pg/usage-store.ts).
 *
 * The domain keeps the rules: which rows to read, the rollup sums, the report's and summary's arithmetic,
 * written in SQL both dialects run (CASE instead of SQLite's integer booleans, `1 = 1` for "true"). What
 * differs per dialect: placeholders and how a bigint or numeric sum reads back (`num`) are the Sql's, and the
 * one transaction that writes a batch of rows with its rollups (SQLite: a statement per row; PostgreSQL:
 * multi-row statements and atomic `ON CONFLICT … DO UPDATE` additions, so several nodes can write at once).
 */
import type { ResponseRow } from './response-rows';
import type { Sql, SqlValue } from './sql';

export type { SqlValue } from './sql';

/** One rollup table's additions: rows of `columns`, added to the row with the same `key` columns. */
export interface RollupUpsert {
  table: string;
  columns: readonly string[];
  /** The conflict target (the primary key). */
  key: readonly string[];
  /** Columns added (`x = x + excluded.x`), kept as the least and the greatest. */
  add: readonly string[];
  least: readonly string[];
  greatest: readonly string[];
  /** In key order (the order rows are upserted in, so concurrent writers lock rows in the same order). */
  rows: SqlValue[][];
}

/** The raw usage table's columns, in the order of a usage write's rows. */
export const USAGE_COLUMNS = [
  'created_at', 'request_id', 'key_id', 'user_id', 'org_id', 'team_id', 'model', 'deployment', 'endpoint', 'status',
  'latency_ms', 'ttft_ms', 'input_tokens', 'output_tokens', 'end_user_id', 'stream', 'error_code', 'batch_id',
  'mcp_server', 'mcp_tool', 'audio_seconds',
] as const;

/** Indexes into a usage row (USAGE_COLUMNS order) that identify a call: created_at, request_id, key_id. */
export const IDENTITY = [0, 1, 2] as const;

export interface UsageWrite {
  /** Usage rows in USAGE_COLUMNS order; `stream` as 0/1. */
  rows: SqlValue[][];
  /** The rollup additions for the rows actually inserted (all of them, unless `recheck` skipped some). */
  rollups(rows: SqlValue[][]): RollupUpsert[];
  /**
   * Some of these rows may be stored already: an earlier attempt's commit may have succeeded without its
   * acknowledgement arriving. The store then skips rows whose call (IDENTITY) is stored, in the same
   * transaction, and adds only the others to the rollups.
   */
  recheck?: boolean;
}

/**
 * The statements (`values`, `run`, `num`, `close`) are the dialect's Sql (src/db/sql.ts): one runner per
 * dialect. `write` is the usage store's own.
 */
export interface UsageStore extends Pick<Sql, 'dialect' | 'values' | 'run' | 'num' | 'close'> {
  /** Inserts usage rows and adds them to the rollups in one transaction; returns how many rows it inserted. */
  write(batch: UsageWrite): Promise<number>;
  /** Saved /v1/responses, written on the same thread and connection (src/db/response-rows.ts). */
  writeResponses(rows: readonly ResponseRow[]): Promise<void>;
}

/** Whether a database setting names PostgreSQL (else it is a SQLite file). */
export const isPostgresUrl = (s: string) => /^postgres(ql)?:\/\//i.test(s);

/**
 * The SQL port every store runs its statements through: one implementation per dialect (src/db/sqlite/sql.ts,
 * src/db/pg/sql.ts), so domain SQL is written once, with `?` placeholders, in SQL both dialects run.
 *
 * Numbers: PostgreSQL sends bigint and numeric as text (SQLite's integers are all numbers); a column the
 * caller reads as a number is selected as `num(expr)`, which casts it to double precision on PostgreSQL
 * (exact for every integer up to 2^53: epoch milliseconds, token sums). Booleans differ too (0/1 against
 * false/true): select them as `CASE WHEN … THEN 1 ELSE 0 END` when a caller reads them.
 *
 * Transactions: `transaction(fn)` runs `fn(tx)` in one transaction, committed when its promise resolves and
 * rolled back when it rejects. Inside, every statement goes through `tx`: on SQLite the outer Sql waits until
 * the transaction ends (see sqlite/sql.ts), so using it from inside would never finish — it throws instead.
 * `tx.transaction(fn)` nests as a savepoint: its failure rolls back only its own statements (and rejects, so
 * an outer transaction that does not catch it rolls back whole).
 */
export type SqlValue = number | string | null;

export interface Sql {
  readonly dialect: 'sqlite' | 'postgres';
  /** A read; each row as an array of its columns. */
  values(sql: string, params?: readonly SqlValue[]): Promise<unknown[][]>;
  /** A read; each row as an object keyed by column name (or alias). */
  rows<T = Record<string, unknown>>(sql: string, params?: readonly SqlValue[]): Promise<T[]>;
  /** The first row of a read, or undefined. */
  get<T = Record<string, unknown>>(sql: string, params?: readonly SqlValue[]): Promise<T | undefined>;
  /** A write; how many rows it changed. */
  run(sql: string, params?: readonly SqlValue[]): Promise<number>;
  /** `expr` cast so that it reads back as a JS number (see the header). */
  num(expr: string): string;
  transaction<T>(fn: (tx: Sql) => Promise<T>): Promise<T>;
  /**
   * PostgreSQL only (absent on SQLite): LISTEN on `channel` on a connection of its own. `onNotify` runs for
   * each NOTIFY committed on it by any connection; `onListen` once the LISTEN is in place, and again after
   * the connection dropped and came back (notifications sent meanwhile are lost: look for what was missed).
   * Resolves to the function that stops listening.
   */
  listen?(channel: string, onNotify: () => void, onListen?: () => void): Promise<() => Promise<void>>;
  /** Closes what this Sql opened (a PostgreSQL pool); an Sql over a caller's SQLite Database leaves it open. */
  close(): Promise<void>;
}

/**
 * The database could not be reached (refused, dropped, timed out, shutting down, out of connections): the
 * statement may succeed if sent again shortly. Raised by the PostgreSQL runner; the HTTP edge answers it with a
 * 503 `database_unavailable` and Retry-After rather than a 500 (src/http/refusal-response.ts).
 */
export class DatabaseUnavailable extends Error {
  constructor(override readonly cause: unknown) {
    super(`the database is unavailable: ${(cause as Error)?.message ?? String(cause)}`);
    this.name = 'DatabaseUnavailable';
  }
}

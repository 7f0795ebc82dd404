/**
 * The SQL port (src/db/sql.ts) over Bun's PostgreSQL client. A pool of connections: statements outside a
 * transaction run concurrently, a transaction holds one connection (`begin`), a nested one is a savepoint.
 */
import { SQL, type TransactionSQL } from 'bun';
import { DatabaseUnavailable, type Sql, type SqlValue } from '../sql';

/** `?` placeholders → `$1, $2, …` (the shared SQL has no `?` inside string literals). */
export function numbered(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

type Client = Pick<SQL, 'unsafe'>;

/**
 * Errors that say the server is out of reach rather than that the statement is wrong: Bun's connection errors
 * (ERR_POSTGRES_CONNECTION_*, …_TIMEOUT) and the server's SQLSTATE classes 08 (connection exception), 57P0x
 * (shutting down, not accepting connections yet) and 53300 (too many connections).
 */
export function isUnavailable(err: unknown): boolean {
  const code = (err as { code?: unknown; errno?: unknown })?.code ?? (err as { errno?: unknown })?.errno;
  if (typeof code !== 'string') return false;
  return /^ERR_POSTGRES_(CONNECTION_|.*TIMEOUT$)/.test(code) || /^08/.test(code) || /^57P0/.test(code) || code === '53300';
}

/** Runs `op`, turning an out-of-reach failure into DatabaseUnavailable (other errors pass unchanged). */
async function reaching<T>(op: () => Promise<T>): Promise<T> {
  try {
    return await op();
  } catch (err) {
    throw !(err instanceof DatabaseUnavailable) && isUnavailable(err) ? new DatabaseUnavailable(err) : err;
  }
}
const list = (params: readonly SqlValue[] = []) => params as SqlValue[];

function over(client: Client, nest: <T>(fn: (tx: Sql) => Promise<T>) => Promise<T>, close: () => Promise<void>): Sql {
  const query = (text: string, params?: readonly SqlValue[]) => client.unsafe(numbered(text), list(params));
  return {
    dialect: 'postgres',
    values: (text, params) => reaching(async () => (await query(text, params).values()) as unknown[][]),
    // The client's result is an array with extra fields (count, command): hand back a plain one.
    rows: <T>(text: string, params?: readonly SqlValue[]) => reaching(async () => [...((await query(text, params)) as T[])]),
    get: <T>(text: string, params?: readonly SqlValue[]) => reaching(async () => ((await query(text, params)) as T[])[0]),
    run: (text, params) => reaching(async () => (await query(text, params)).count as number),
    // float8 holds every integer up to 2^53 exactly: epoch milliseconds and token sums stay exact.
    num: (expr) => `CAST(${expr} AS double precision)`,
    transaction: nest,
    close,
  };
}

/** A savepoint's (or a transaction's) Sql: statements on the transaction's connection. */
function inTransaction(tx: TransactionSQL): Sql {
  const nest = <T>(fn: (inner: Sql) => Promise<T>) => tx.savepoint((sp) => fn(inTransaction(sp))) as Promise<T>;
  return over(tx, nest, async () => {
    throw new Error('close the Sql the transaction came from, not its tx');
  });
}

/** The Sql of a client (a pool): closing the Sql closes it. */
export function pgSql(client: SQL): Sql {
  const nest = <T>(fn: (tx: Sql) => Promise<T>) => reaching(() => client.begin((tx) => fn(inTransaction(tx))) as Promise<T>);
  return {
    ...over(client, nest, () => client.close()),
    // Bun's client keeps one dedicated connection for its LISTENs, reconnecting and listening again if it drops.
    listen: async (channel, onNotify, onListen) => {
      const subscription = await client.listen(channel, () => onNotify(), onListen);
      return () => subscription.unlisten();
    },
  };
}

/** An Sql on a pool of its own (`max` connections). */
export const openPgSql = (url: string, opts: { max?: number } = {}) => pgSql(new SQL({ url, max: opts.max ?? 4 }));

/**
 * The SQL port (src/db/sql.ts) over a bun:sqlite Database: synchronous statements on one connection.
 *
 * The catch is transactions. A transaction's callback awaits between its statements, and on one shared
 * connection any statement run meanwhile (another request's) would land inside it: committed with it, or
 * rolled back with it. So every call through this Sql takes its turn in one queue: while a transaction is
 * open, other callers' statements wait until it commits or rolls back, and the transaction's own statements
 * go through its `tx`, which runs them at once. A statement outside any transaction waits only for the queue
 * ahead of it (a microtask when nothing is open).
 *
 * There is one Sql per Database (sqliteSql returns the same one), so every store on a connection shares the
 * queue. Code that uses the Database directly (the drizzle stores not on this port yet) does not queue: a
 * synchronous statement of theirs that runs while an async transaction here is open joins that transaction.
 * Keep such transactions short and to stores on this port until the rest moves over.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Database } from 'bun:sqlite';
import type { Sql, SqlValue } from '../sql';

export interface SqliteSql extends Sql {
  /** Runs synchronous work on the Database in the queue's turn (e.g. a bun:sqlite transaction of its own). */
  exclusive<T>(fn: () => T): Promise<T>;
}

/** Which Database's transaction the current async context is inside (to refuse the outer Sql there). */
const inside = new AsyncLocalStorage<Database>();
const bound = new WeakMap<Database, SqliteSql>();

type Params = SqlValue[];
const list = (params: readonly SqlValue[] = []) => params as Params;

/** The statements, run at once (the caller holds the turn). `live.open` goes false when the transaction ends. */
function direct(db: Database, depth: number, live: { open: boolean }): Sql {
  const check = () => {
    if (!live.open) throw new Error('this transaction has ended: run statements while its callback runs, through its tx');
  };
  const tx: Sql = {
    dialect: 'sqlite',
    values: async (sql, params) => (check(), db.query<unknown[], Params>(sql).values(...list(params)) as unknown[][]),
    rows: async <T>(sql: string, params?: readonly SqlValue[]) => (check(), db.query<T, Params>(sql).all(...list(params))),
    get: async <T>(sql: string, params?: readonly SqlValue[]) => (check(), db.query<T, Params>(sql).get(...list(params)) ?? undefined),
    run: async (sql, params) => (check(), db.query(sql).run(...list(params)).changes),
    num: (expr) => expr,
    // Nested: a savepoint, rolled back alone when its callback rejects.
    transaction: async <T>(fn: (tx: Sql) => Promise<T>) => {
      check();
      const name = `aq_sp${depth}`;
      const inner = { open: true };
      db.run(`SAVEPOINT ${name}`);
      try {
        const result = await fn(direct(db, depth + 1, inner));
        inner.open = false;
        db.run(`RELEASE ${name}`);
        return result;
      } catch (err) {
        inner.open = false;
        db.run(`ROLLBACK TO ${name}`);
        db.run(`RELEASE ${name}`);
        throw err;
      }
    },
    close: async () => {},
  };
  return tx;
}

/** The Sql of a Database: created on first use, shared by every store on that connection. */
export function sqliteSql(db: Database): SqliteSql {
  const existing = bound.get(db);
  if (existing !== undefined) return existing;
  let tail: Promise<unknown> = Promise.resolve();
  // The queue: each call starts when the one before it settled, whatever its outcome.
  const turn = <T>(fn: () => T | Promise<T>): Promise<T> => {
    if (inside.getStore() === db) {
      return Promise.reject(new Error('a statement through the outer Sql inside its own transaction would wait forever: use the transaction\'s tx'));
    }
    const result = tail.then(fn);
    tail = result.catch(() => {});
    return result;
  };
  const always = { open: true };
  const now = direct(db, 0, always);
  const sql: SqliteSql = {
    dialect: 'sqlite',
    values: (text, params) => turn(() => now.values(text, params)),
    rows: <T>(text: string, params?: readonly SqlValue[]) => turn(() => now.rows<T>(text, params)),
    get: <T>(text: string, params?: readonly SqlValue[]) => turn(() => now.get<T>(text, params)),
    run: (text, params) => turn(() => now.run(text, params)),
    num: (expr) => expr,
    exclusive: (fn) => turn(fn),
    transaction: <T>(fn: (tx: Sql) => Promise<T>) =>
      turn(() =>
        inside.run(db, async () => {
          const live = { open: true };
          // IMMEDIATE: take the write lock now, not at the first write (no upgrade deadlock with another process).
          db.run('BEGIN IMMEDIATE');
          let result: T;
          try {
            result = await fn(direct(db, 1, live));
          } catch (err) {
            live.open = false;
            if (db.inTransaction) db.run('ROLLBACK');
            throw err;
          }
          live.open = false;
          try {
            db.run('COMMIT');
          } catch (err) {
            if (db.inTransaction) db.run('ROLLBACK');
            throw err;
          }
          return result;
        }),
      ),
    close: async () => {},
  };
  bound.set(db, sql);
  return sql;
}

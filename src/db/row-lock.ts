/**
 * Serialising a check-then-write (a cap: count the rows, insert one more) against concurrent ones, per owner.
 *
 * PostgreSQL runs transactions at READ COMMITTED: two of them can both count n rows and both insert, passing
 * the cap together. `SELECT … FOR UPDATE` on the owning row (the user for keys, the team for service
 * accounts) makes the second wait at that line until the first commits; its count, read after the lock, then
 * sees the first one's row. A row lock rather than SERIALIZABLE (which would fail one of them with 40001
 * and need a retry loop) or a table lock (which would also hold up every other owner).
 *
 * SQLite needs nothing: the Sql port begins its transactions IMMEDIATE (src/db/sqlite/sql.ts), holding the
 * database's one write lock from the first statement, so writers already run one after another.
 */
import type { Sql } from './sql';

/** Call first in the transaction, before the count; `table` is one of ours, never input. */
export async function lockRow(tx: Sql, table: 'users' | 'teams', id: number): Promise<void> {
  if (tx.dialect === 'postgres') await tx.rows(`SELECT 1 FROM ${table} WHERE id = ? FOR UPDATE`, [id]);
}

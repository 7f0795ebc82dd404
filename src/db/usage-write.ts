/**
 * A usage write (rows and their rollups) inside a caller's transaction on the Sql port, whichever the dialect:
 * for a batch line, whose usage row must commit with its state change (counted once, never lost). The SQL is
 * each dialect's usage store's own (sqlite/usage-store.ts, pg/usage-store.ts), not a third copy.
 */
import { writeUsageThroughPg } from './pg/usage-store';
import type { Sql } from './sql';
import { writeUsageThroughSqlite } from './sqlite/usage-store';
import type { UsageWrite } from './usage-store';

export const writeUsageThrough = (tx: Sql, batch: UsageWrite): Promise<number> =>
  tx.dialect === 'postgres' ? writeUsageThroughPg(tx, batch) : writeUsageThroughSqlite(tx, batch);

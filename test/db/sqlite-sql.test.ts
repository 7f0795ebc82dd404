/**
 * The SQLite Sql's queue (src/db/sqlite/sql.ts): one bun:sqlite connection is shared, so while an async
 * transaction is open, other callers' statements wait for its end instead of landing inside it.
 */
import { expect, test } from 'bun:test';
import { openMemoryDatabase } from '../../src/db/connection';
import { migrate } from '../../src/db/migrate';
import { sqliteSql } from '../../src/db/sqlite/sql';
import { sqliteUsageStore } from '../../src/db/sqlite/usage-store';

function fresh() {
  const h = openMemoryDatabase();
  migrate(h.sqlite);
  return h;
}

const tick = () => new Promise((r) => setTimeout(r, 5));

/**
 * Another request: `then(fn)` runs once the gate opens, in the async context of whoever set it up — outside
 * the transaction (a call from inside one's own callback is refused instead; see the last tests).
 */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((r) => (open = r));
  return { open, then: <T>(fn: () => Promise<T>) => opened.then(fn) };
}
const insert = 'INSERT INTO orgs (name, created_at) VALUES (?, ?)';

test('one Sql per Database: every store on a connection shares its queue', () => {
  const h = fresh();
  expect(h.sql).toBe(sqliteSql(h.sqlite));
});

test('a write made while a transaction awaits lands after its commit, not inside it', async () => {
  const { sql } = fresh();
  const order: string[] = [];
  const g = gate();
  const other = g.then(() => sql.run(insert, ['other', 2])).then((n) => (order.push('other'), n));
  await sql.transaction(async (tx) => {
    await tx.run(insert, ['in-tx-1', 1]);
    // Another request writes now; its statement must not run inside this transaction.
    g.open();
    await tick();
    expect(await tx.values('SELECT name FROM orgs ORDER BY name')).toEqual([['in-tx-1']]);
    await tx.run(insert, ['in-tx-2', 3]);
    order.push('commit');
  });
  expect(await other).toBe(1);
  expect(order).toEqual(['commit', 'other']);
  expect(await sql.values('SELECT name FROM orgs ORDER BY id')).toEqual([['in-tx-1'], ['in-tx-2'], ['other']]);
});

test('a transaction that throws rolls back its own rows and keeps the concurrent write', async () => {
  const { sql } = fresh();
  const g = gate();
  const other = g.then(() => sql.run(insert, ['other', 2]));
  const failed = sql.transaction(async (tx) => {
    await tx.run(insert, ['doomed', 1]);
    g.open();
    await tick();
    throw new Error('fails after awaiting');
  });
  await expect(failed).rejects.toThrow('fails after awaiting');
  expect(await other).toBe(1);
  expect(await sql.values('SELECT name FROM orgs')).toEqual([['other']]);
});

test('reads and transactions queue in call order; a failing one does not stall the queue', async () => {
  const { sql } = fresh();
  const first = sql.transaction(async (tx) => {
    await tick();
    await tx.run(insert, ['first', 1]);
  });
  const second = sql.transaction(async (tx) => {
    // Sees the first transaction committed: it ran strictly after.
    expect(await tx.values('SELECT name FROM orgs')).toEqual([['first']]);
    await tick();
    throw new Error('second fails');
  });
  const read = sql.values('SELECT name FROM orgs');
  await first;
  await expect(second).rejects.toThrow('second fails');
  expect(await read).toEqual([['first']]);
});

test('the outer Sql inside its own transaction is refused (it would wait for itself)', async () => {
  const { sql } = fresh();
  await expect(sql.transaction(async () => sql.run(insert, ['x', 1]))).rejects.toThrow("use the transaction's tx");
  expect(await sql.values('SELECT name FROM orgs')).toEqual([]);
});

test("a usage store's write on the same connection waits for an open transaction", async () => {
  const h = fresh();
  const store = sqliteUsageStore(h.sqlite);
  const order: string[] = [];
  const g = gate();
  const written = g.then(() => store.write({ rows: [], rollups: () => [] })).then((n) => (order.push('write'), n));
  await expect(
    h.sql.transaction(async (tx) => {
      await tx.run(insert, ['doomed', 1]);
      g.open();
      await tick();
      order.push('rollback');
      throw new Error('rolls back');
    }),
  ).rejects.toThrow('rolls back');
  expect(await written).toBe(0);
  expect(order).toEqual(['rollback', 'write']);
});

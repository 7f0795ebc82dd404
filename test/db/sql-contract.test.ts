/**
 * The Sql port's contract (src/db/sql.ts), the same assertions on SQLite and PostgreSQL: rows as objects,
 * arrays or one row, changes counted, `num` reading a bigint sum as a number, and transactions — committed,
 * rolled back whole on a rejection, a nested one rolled back alone, a tx refused once its transaction ended.
 */
import { afterAll, describe, expect, setDefaultTimeout, test } from 'bun:test';
import type { Sql } from '../../src/db/sql';
import { DIALECTS, stopDialects } from './sql-dialects';

setDefaultTimeout(30_000);
afterAll(stopDialects);

const orgs = async (sql: Sql) => (await sql.rows<{ name: string }>('SELECT name FROM orgs ORDER BY name')).map((r) => r.name);

for (const d of DIALECTS) {
  describe(d.name, () => {
    test('reads rows as objects, arrays or the first row; a write says how many rows it changed', async () => {
      const sql = await d.fresh();
      expect(sql.dialect).toBe(d.name);
      expect(await sql.run('INSERT INTO orgs (name, created_at) VALUES (?, ?), (?, ?)', ['a', 1, 'b', 2])).toBe(2);
      expect(await sql.rows(`SELECT name, ${sql.num('created_at')} AS at FROM orgs ORDER BY name`)).toEqual([
        { name: 'a', at: 1 },
        { name: 'b', at: 2 },
      ]);
      expect(await sql.values('SELECT name FROM orgs WHERE created_at > ?', [1])).toEqual([['b']]);
      expect(await sql.get<{ name: string }>('SELECT name FROM orgs WHERE name = ?', ['a'])).toEqual({ name: 'a' });
      expect(await sql.get('SELECT name FROM orgs WHERE name = ?', ['zz'])).toBeUndefined();
      expect(await sql.run('UPDATE orgs SET created_at = created_at + 1', [])).toBe(2);
      expect(await sql.run('DELETE FROM orgs WHERE name = ?', ['zz'])).toBe(0);
    });

    test('num reads a bigint sum back as an exact number', async () => {
      const sql = await d.fresh();
      const big = 2 ** 52;
      await sql.run('INSERT INTO orgs (name, created_at) VALUES (?, ?), (?, ?)', ['a', big, 'b', 5]);
      const row = await sql.get<{ total: unknown }>(`SELECT ${sql.num('SUM(created_at)')} AS total FROM orgs`);
      expect(row!.total).toBe(big + 5);
    });

    test('a transaction commits what its callback did and returns its value', async () => {
      const sql = await d.fresh();
      const out = await sql.transaction(async (tx) => {
        await tx.run('INSERT INTO orgs (name, created_at) VALUES (?, ?)', ['a', 1]);
        await tx.run('INSERT INTO orgs (name, created_at) VALUES (?, ?)', ['b', 1]);
        return (await tx.rows('SELECT name FROM orgs')).length;
      });
      expect(out).toBe(2);
      expect(await orgs(sql)).toEqual(['a', 'b']);
    });

    test('a transaction whose callback rejects rolls back whole, and the rejection reaches the caller', async () => {
      const sql = await d.fresh();
      const failed = sql.transaction(async (tx) => {
        await tx.run('INSERT INTO orgs (name, created_at) VALUES (?, ?)', ['a', 1]);
        throw new Error('no');
      });
      await expect(failed).rejects.toThrow('no');
      expect(await orgs(sql)).toEqual([]);
    });

    test('a nested transaction is a savepoint: its failure undoes only its own statements', async () => {
      const sql = await d.fresh();
      await sql.transaction(async (tx) => {
        await tx.run('INSERT INTO orgs (name, created_at) VALUES (?, ?)', ['outer', 1]);
        await tx
          .transaction(async (inner) => {
            await inner.run('INSERT INTO orgs (name, created_at) VALUES (?, ?)', ['inner', 1]);
            throw new Error('inner fails');
          })
          .catch(() => {});
        await tx.transaction(async (inner) => inner.run('INSERT INTO orgs (name, created_at) VALUES (?, ?)', ['kept', 1]));
      });
      expect(await orgs(sql)).toEqual(['kept', 'outer']);
    });

    test('a tx used after its transaction ended is refused', async () => {
      const sql = await d.fresh();
      let leaked: Sql | undefined;
      await sql.transaction(async (tx) => {
        leaked = tx;
      });
      await expect(leaked!.run('INSERT INTO orgs (name, created_at) VALUES (?, ?)', ['late', 1])).rejects.toThrow();
      expect(await orgs(sql)).toEqual([]);
    });
  });
}

/**
 * The terms-of-service acceptance records (TermsAcceptances in src/domain/terms.ts) through the Sql port,
 * the same assertions on SQLite and PostgreSQL: accepting (again keeps the first time), when a version was
 * accepted, one acceptance per user (the version in force first, else the latest), and each acceptance
 * recorded as an access change for the user and the teams they are an admin of.
 */
import { afterAll, describe, expect, setDefaultTimeout, test } from 'bun:test';
import type { Sql } from '../../src/db/sql';
import { TermsAcceptances } from '../../src/domain/terms';
import { DIALECTS, stopDialects } from './sql-dialects';

setDefaultTimeout(30_000);
afterAll(stopDialects);

async function setup(d: (typeof DIALECTS)[number]) {
  const sql = await d.fresh();
  const orgId = (await sql.get<{ id: number }>('INSERT INTO orgs (name) VALUES (?) RETURNING id', ['physics']))!.id;
  const person = async (email: string) => (await sql.get<{ id: number }>('INSERT INTO users (email, org_id) VALUES (?, ?) RETURNING id', [email, orgId]))!.id;
  const team = async (name: string) => (await sql.get<{ id: number }>('INSERT INTO teams (org_id, name) VALUES (?, ?) RETURNING id', [orgId, name]))!.id;
  return { sql, terms: new TermsAcceptances(sql), ada: await person('ada@example.org'), bob: await person('bob@example.org'), team };
}

const changes = (sql: Sql) => sql.rows<{ kind: string; ref: number }>('SELECT kind, ref FROM access_changes ORDER BY id');
const revision = async (sql: Sql) => (await sql.get<{ v: number }>(`SELECT ${sql.num('value')} AS v FROM revisions WHERE name = 'access'`))?.v ?? 0;

for (const d of DIALECTS) {
  describe(d.name, () => {
    test('accepting records the version and the time; accepting again keeps the first time', async () => {
      const { sql, terms, ada, bob } = await setup(d);
      expect(await terms.acceptedAt(ada, 'v1')).toBeUndefined();
      await terms.accept(ada, 'v1', 1_700_000_000_123);
      expect(await terms.acceptedAt(ada, 'v1')).toBe(1_700_000_000_123);
      await terms.accept(ada, 'v1', 1_800_000_000_000);
      expect(await terms.acceptedAt(ada, 'v1')).toBe(1_700_000_000_123);
      expect(await terms.acceptedAt(ada, 'v2')).toBeUndefined();
      expect(await terms.acceptedAt(bob, 'v1')).toBeUndefined();
      expect(await sql.rows('SELECT user_id, version FROM tos_acceptances')).toEqual([{ user_id: ada, version: 'v1' }]);
    });

    test('the time defaults to now', async () => {
      const { terms, ada } = await setup(d);
      const before = Date.now();
      await terms.accept(ada, 'v1');
      const at = (await terms.acceptedAt(ada, 'v1'))!;
      expect(typeof at).toBe('number');
      expect(at).toBeGreaterThanOrEqual(before);
      expect(at).toBeLessThanOrEqual(Date.now());
    });

    test('one acceptance per user: of the version in force when accepted, else the latest; or one user\'s', async () => {
      const { terms, ada, bob } = await setup(d);
      await terms.accept(ada, 'v1', 1_000);
      await terms.accept(ada, 'v2', 3_000);
      await terms.accept(ada, 'v3', 2_000);
      await terms.accept(bob, 'v1', 5_000);
      expect(await terms.latest('v3')).toEqual(
        new Map([
          [ada, { version: 'v3', acceptedAt: 2_000 }],
          [bob, { version: 'v1', acceptedAt: 5_000 }],
        ]),
      );
      expect(await terms.latest('v9')).toEqual(
        new Map([
          [ada, { version: 'v2', acceptedAt: 3_000 }],
          [bob, { version: 'v1', acceptedAt: 5_000 }],
        ]),
      );
      expect(await terms.latest(undefined)).toEqual(
        new Map([
          [ada, { version: 'v2', acceptedAt: 3_000 }],
          [bob, { version: 'v1', acceptedAt: 5_000 }],
        ]),
      );
      expect(await terms.latest('v1', ada)).toEqual(new Map([[ada, { version: 'v1', acceptedAt: 1_000 }]]));
      expect(await terms.latest(undefined, bob)).toEqual(new Map([[bob, { version: 'v1', acceptedAt: 5_000 }]]));
      expect((await terms.latest('v1', 999_999)).size).toBe(0);
    });

    test('accepting is an access change for the user and the teams they are an admin of (not those they are a plain member of)', async () => {
      const { sql, terms, ada, team } = await setup(d);
      const led = await team('optics');
      const member = await team('lasers');
      await sql.run('INSERT INTO team_members (team_id, user_id, is_admin) VALUES (?, ?, TRUE)', [led, ada]);
      await sql.run('INSERT INTO team_members (team_id, user_id, is_admin) VALUES (?, ?, FALSE)', [member, ada]);
      const rev = await revision(sql);
      await terms.accept(ada, 'v1', 1);
      expect(await changes(sql)).toEqual([
        { kind: 'user', ref: ada },
        { kind: 'team', ref: led },
      ]);
      expect(await revision(sql)).toBe(rev + 1);
    });

    test('deleting the user deletes their acceptances', async () => {
      const { sql, terms, ada } = await setup(d);
      await terms.accept(ada, 'v1', 1);
      await sql.run('DELETE FROM users WHERE id = ?', [ada]);
      expect(await terms.acceptedAt(ada, 'v1')).toBeUndefined();
      expect((await terms.latest(undefined)).size).toBe(0);
    });
  });
}

/**
 * The single sign-on stores (src/domain/oidc-logins.ts, src/domain/oidc-accounts.ts) through the Sql port,
 * the same assertions on SQLite and PostgreSQL: a pending login used once and expiring; a first sign-in
 * creating org, user and group teams; admin role both ways; team sync leaving hand-made teams and
 * memberships alone; an email change following the user; a refusal rolling back everything; linking a user
 * made before single sign-on; each sign-in recorded as an access change.
 */
import { afterAll, describe, expect, setDefaultTimeout, test } from 'bun:test';
import type { Sql } from '../../src/db/sql';
import { signInFromProvider, type SignInFacts } from '../../src/domain/oidc-accounts';
import { OidcLogins } from '../../src/domain/oidc-logins';
import { teamsFor } from '../../src/domain/oidc-mapping';
import { DIALECTS, stopDialects } from './sql-dialects';

setDefaultTimeout(30_000);
afterAll(stopDialects);

const ISSUER = 'https://id.example.org';
const facts = (over: Partial<SignInFacts> & { groups?: string[] } = {}): SignInFacts => ({
  issuer: ISSUER,
  subject: 'sub-ada',
  email: 'ada@example.org',
  org: 'physics',
  admin: false,
  teams: teamsFor(/^team-(.+)$/, over.groups ?? []),
  createTeams: true,
  ...over,
});

async function signIn(sql: Sql, f: SignInFacts) {
  const r = await signInFromProvider(sql, f);
  if (!r.ok) throw new Error(`refused: ${r.reason}`);
  return r;
}

const user = (sql: Sql, id: number) =>
  sql.get<{ email: string; role: string; org_id: number; oidc_issuer: string | null; oidc_subject: string | null }>(
    'SELECT email, role, org_id, oidc_issuer, oidc_subject FROM users WHERE id = ?',
    [id],
  );
/** The user's teams with both flags read back as booleans, the same in both dialects. */
const memberships = async (sql: Sql, userId: number) =>
  (
    await sql.rows<{ name: string; oidc_group: string | null; is_admin: number; via_group: number }>(
      `SELECT t.name, t.oidc_group, CASE WHEN m.is_admin THEN 1 ELSE 0 END AS is_admin, CASE WHEN m.via_group THEN 1 ELSE 0 END AS via_group
       FROM team_members m INNER JOIN teams t ON t.id = m.team_id WHERE m.user_id = ? ORDER BY t.name`,
      [userId],
    )
  ).map((r) => ({ name: r.name, group: r.oidc_group, isAdmin: r.is_admin === 1, viaGroup: r.via_group === 1 }));
const count = async (sql: Sql, table: string) => (await sql.get<{ n: number }>(`SELECT ${sql.num('COUNT(*)')} AS n FROM ${table}`))!.n;
const revision = async (sql: Sql) => (await sql.get<{ v: number }>(`SELECT ${sql.num('value')} AS v FROM revisions WHERE name = 'access'`))?.v ?? 0;

for (const d of DIALECTS) {
  describe(d.name, () => {
    test('a pending login is used once, expires, and is stored under the hash of its id', async () => {
      const sql = await d.fresh();
      let now = 1_000;
      const logins = new OidcLogins(sql, 60_000, () => now);
      const login = { state: 's', nonce: 'n', codeVerifier: 'v', returnTo: '/ui/keys' };
      const id = await logins.begin(login);
      expect(await sql.values('SELECT id FROM oidc_logins')).toEqual([[Bun.SHA256.hash(id, 'hex')]]);
      expect(await logins.take(id)).toEqual(login);
      expect(await logins.take(id)).toBeUndefined();
      const late = await logins.begin(login);
      now += 60_000;
      expect(await logins.take(late)).toBeUndefined();
      expect(await logins.take('forged')).toBeUndefined();
      // Beginning a login forgets the ones that ran out.
      await logins.begin(login);
      now += 60_000;
      await logins.begin(login);
      expect(await count(sql, 'oidc_logins')).toBe(1);
    });

    test('two takes of one login at once: only one gets it', async () => {
      const sql = await d.fresh();
      const logins = new OidcLogins(sql);
      const id = await logins.begin({ state: 's', nonce: 'n', codeVerifier: 'v', returnTo: '/' });
      const got = await Promise.all([logins.take(id), logins.take(id)]);
      expect(got.filter((g) => g !== undefined)).toHaveLength(1);
    });

    test('a first sign-in creates org, user and group teams, records an access change; the second finds the same user', async () => {
      const sql = await d.fresh();
      const first = await signIn(sql, facts({ groups: ['team-optics', 'staff'] }));
      expect(first).toMatchObject({ created: true, role: 'user', joined: ['optics'], left: [], skipped: [] });
      const u = (await user(sql, first.userId))!;
      expect(u).toMatchObject({ email: 'ada@example.org', role: 'user', oidc_issuer: ISSUER, oidc_subject: 'sub-ada' });
      expect(await sql.values('SELECT name FROM orgs WHERE id = ?', [u.org_id])).toEqual([['physics']]);
      expect(await memberships(sql, first.userId)).toEqual([{ name: 'optics', group: 'team-optics', isAdmin: false, viaGroup: true }]);
      expect(await revision(sql)).toBe(1);
      expect(await sql.rows(`SELECT kind, ref FROM access_changes`)).toEqual([{ kind: 'user', ref: first.userId }]);
      const again = await signIn(sql, facts({ groups: ['team-optics'] }));
      expect(again).toMatchObject({ userId: first.userId, created: false, joined: [], left: [], skipped: [] });
      expect(await revision(sql)).toBe(2);
      expect(await count(sql, 'users')).toBe(1);
      expect(await count(sql, 'orgs')).toBe(1);
    });

    test('admin groups decide admin both ways; an org-admin set by hand stays one; no admin groups leaves roles alone', async () => {
      const sql = await d.fresh();
      const a = await signIn(sql, facts({ admin: true }));
      expect(a.role).toBe('admin');
      expect((await user(sql, a.userId))!.role).toBe('admin');
      expect((await signIn(sql, facts({ admin: false }))).role).toBe('user');
      expect((await user(sql, a.userId))!.role).toBe('user');
      await sql.run("UPDATE users SET role = 'org-admin' WHERE id = ?", [a.userId]);
      await signIn(sql, facts({ admin: false }));
      expect((await user(sql, a.userId))!.role).toBe('org-admin');
      await sql.run("UPDATE users SET role = 'admin' WHERE id = ?", [a.userId]);
      await signIn(sql, facts({ admin: undefined }));
      expect((await user(sql, a.userId))!.role).toBe('admin');
    });

    test('leaving a group removes the membership it made; teams and memberships made by hand are never touched', async () => {
      const sql = await d.fresh();
      const r = await signIn(sql, facts({ groups: ['team-optics', 'team-lasers'] }));
      const orgId = (await user(sql, r.userId))!.org_id;
      const handMade = (await sql.get<{ id: number }>('INSERT INTO teams (org_id, name) VALUES (?, ?) RETURNING id', [orgId, 'vacuum']))!.id;
      await sql.run('INSERT INTO team_members (team_id, user_id, is_admin) VALUES (?, ?, FALSE)', [handMade, r.userId]);
      const optics = (await sql.get<{ id: number }>("SELECT id FROM teams WHERE name = 'optics'"))!.id;
      const bob = (await sql.get<{ id: number }>('INSERT INTO users (email, org_id) VALUES (?, ?) RETURNING id', ['bob@example.org', orgId]))!.id;
      await sql.run('INSERT INTO team_members (team_id, user_id, is_admin) VALUES (?, ?, TRUE)', [optics, bob]);

      const next = await signIn(sql, facts({ groups: ['team-lasers', 'team-vacuum'] }));
      expect(next).toMatchObject({ joined: [], left: ['optics'], skipped: ['vacuum'] });
      expect(await memberships(sql, r.userId)).toEqual([
        { name: 'lasers', group: 'team-lasers', isAdmin: false, viaGroup: true },
        { name: 'vacuum', group: null, isAdmin: false, viaGroup: false },
      ]);
      expect(await memberships(sql, bob)).toEqual([{ name: 'optics', group: 'team-optics', isAdmin: true, viaGroup: false }]);

      const none = await signIn(sql, facts({ groups: [] }));
      expect(none).toMatchObject({ joined: [], left: ['lasers'], skipped: [] });
      expect((await memberships(sql, r.userId)).map((m) => m.name)).toEqual(['vacuum']);
      // No teams claim at all: memberships are left alone.
      expect(await signIn(sql, facts({ teams: undefined }))).toMatchObject({ joined: [], left: [], skipped: [] });
    });

    test('a renamed group-made team is still the group’s team; team creation off joins only existing group teams', async () => {
      const sql = await d.fresh();
      const r = await signIn(sql, facts({ groups: ['team-optics'] }));
      await sql.run("UPDATE teams SET name = 'Optics lab' WHERE oidc_group = 'team-optics'");
      const next = await signIn(sql, facts({ groups: ['team-optics', 'team-new'], createTeams: false }));
      expect(next).toMatchObject({ joined: [], left: [], skipped: ['new'] });
      expect((await memberships(sql, r.userId)).map((m) => m.name)).toEqual(['Optics lab']);
      expect(await sql.values('SELECT name FROM teams')).toEqual([['Optics lab']]);
    });

    test('an email change follows the user; an email held by another identity is refused and everything rolls back', async () => {
      const sql = await d.fresh();
      const r = await signIn(sql, facts());
      await signIn(sql, facts({ email: 'ada.lovelace@example.org' }));
      expect((await user(sql, r.userId))!.email).toBe('ada.lovelace@example.org');
      const other = await signIn(sql, facts({ subject: 'sub-eve', email: 'eve@example.org' }));
      const before = { users: await count(sql, 'users'), orgs: await count(sql, 'orgs'), teams: await count(sql, 'teams'), rev: await revision(sql) };
      expect(await signInFromProvider(sql, facts({ subject: 'sub-eve', email: 'ada.lovelace@example.org', admin: true }))).toEqual({ ok: false, reason: 'email_taken' });
      expect(
        await signInFromProvider(sql, facts({ subject: 'sub-mallory', email: 'ada.lovelace@example.org', org: 'new-org', groups: ['team-x'] })),
      ).toEqual({ ok: false, reason: 'email_taken' });
      expect(await user(sql, other.userId)).toMatchObject({ role: 'user', email: 'eve@example.org' });
      expect({ users: await count(sql, 'users'), orgs: await count(sql, 'orgs'), teams: await count(sql, 'teams'), rev: await revision(sql) }).toEqual(before);
    });

    test('a user made before single sign-on is linked at their first sign-in and keeps their org; a refused link changes nothing', async () => {
      const sql = await d.fresh();
      const orgId = (await sql.get<{ id: number }>('INSERT INTO orgs (name) VALUES (?) RETURNING id', ['chemistry']))!.id;
      const existing = (await sql.get<{ id: number }>('INSERT INTO users (email, org_id) VALUES (?, ?) RETURNING id', ['ada@example.org', orgId]))!.id;
      expect(await signIn(sql, facts())).toMatchObject({ userId: existing, created: false });
      expect(await user(sql, existing)).toMatchObject({ org_id: orgId, oidc_issuer: ISSUER, oidc_subject: 'sub-ada' });
      // Another identity with the same email: refused (the user is linked to sub-ada now).
      expect(await signInFromProvider(sql, facts({ subject: 'sub-other' }))).toEqual({ ok: false, reason: 'email_taken' });
      expect(await count(sql, 'orgs')).toBe(1);
    });
  });
}

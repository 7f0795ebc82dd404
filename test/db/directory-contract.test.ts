/**
 * The access writes and management reads (Directory, TokenService, the key cap, the first-start admin)
 * through the Sql port, the same assertions on SQLite and PostgreSQL: objects read back with their types
 * (numbers, booleans, lists), taken names and emails as 409 conflict refusals, the deletions that take keys
 * with them, the access changes each write logs for the key caches, and races — concurrent creations of
 * one name, and concurrent key and service-account creations against their caps — ending with exactly the
 * allowed number.
 */
import { afterAll, describe, expect, setDefaultTimeout, test } from 'bun:test';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Sql } from '../../src/db/sql';
import { hashKey } from '../../src/domain/api-key';
import { Directory } from '../../src/domain/directory';
import { bootstrapAdmin, INITIAL_ADMIN_EMAIL } from '../../src/domain/first-start';
import type { Principal, Role } from '../../src/domain/key-cache';
import { createKey } from '../../src/domain/key-management';
import { Reach } from '../../src/domain/reach';
import { Refusal } from '../../src/domain/refusal';
import { DIALECTS, stopDialects } from './sql-dialects';

setDefaultTimeout(60_000);
afterAll(stopDialects);

async function setup(d: (typeof DIALECTS)[number]) {
  const sql = await d.fresh();
  return { sql, dir: new Directory(sql) };
}

/** The access changes logged so far, oldest first. */
const changes = async (sql: Sql) => (await sql.rows<{ kind: string; ref: number }>('SELECT kind, ref FROM access_changes ORDER BY id')).map((r) => `${r.kind}:${r.ref}`);
const revision = async (sql: Sql) => (await sql.get<{ v: number }>(`SELECT ${sql.num('value')} AS v FROM revisions WHERE name = 'access'`))?.v ?? 0;
const count = async (sql: Sql, table: string) => (await sql.get<{ n: number }>(`SELECT ${sql.num('count(*)')} AS n FROM ${table}`))!.n;

/** What a promise rejected with (fails the test when it resolved). */
async function refusal(p: Promise<unknown>): Promise<Refusal> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(Refusal);
  return err as Refusal;
}

/** How many of the settled promises were fulfilled, and the kinds of the refusals of the rest. */
function tally(results: PromiseSettledResult<unknown>[]) {
  const kinds = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => (r.reason instanceof Refusal ? r.reason.kind : String(r.reason)));
  return { ok: results.length - kinds.length, kinds: [...new Set(kinds)] };
}

/**
 * Opens the pool's connections before a race (two transactions holding one each at once), so that the
 * racers start together: one waiting for a new connection would let the first finish alone. No-op on SQLite.
 */
const warm = (sql: Sql) => Promise.all([0, 1].map(() => sql.transaction(async (tx) => (await tx.get('SELECT 1'), await Bun.sleep(20)))));

/** A principal as the key cache would make it, for the reach rules. */
const principalOf = (userId: number, orgId: number, role: Role): Principal => ({
  keyId: 1,
  keyName: '',
  keyPreview: '',
  userId,
  email: '',
  role,
  orgId,
  teamId: null,
  serviceAccountId: null,
  expiresAt: null,
  excludedModels: new Set(),
  excludedMcpServers: new Set(),
  limits: { rpm: null, itpm: null, otpm: null },
  pools: [],
  acceptedTerms: new Set(),
});

for (const d of DIALECTS) {
  describe(d.name, () => {
    test('an org reads back with its defaults, numbers and booleans; updates set only what they name', async () => {
      const { sql, dir } = await setup(d);
      const org = await dir.createOrg('physics');
      expect(org).toMatchObject({ name: 'physics', excludedModels: [], mergeModelExclusions: true, excludedMcpServers: [], mergeMcpExclusions: true, rpm: null, poolRpm: null });
      expect(typeof org.id).toBe('number');
      expect(typeof org.createdAt).toBe('number');
      expect(Math.abs(org.createdAt - Date.now())).toBeLessThan(60_000);
      expect(await dir.org(org.id)).toEqual(org);
      expect(await dir.orgByName('physics')).toEqual(org);
      const updated = await dir.updateOrg(org.id, { rpm: 5_000_000_000, excludedModels: ['a', 'b'], mergeMcpExclusions: false, poolItpm: 7, name: 'physik' });
      expect(updated).toEqual({ ...org, name: 'physik', rpm: 5_000_000_000, excludedModels: ['a', 'b'], mergeMcpExclusions: false, poolItpm: 7 });
      expect(await dir.org(org.id)).toEqual(updated!);
      // An empty patch changes nothing and logs nothing; an unknown id is undefined.
      const before = await revision(sql);
      expect(await dir.updateOrg(org.id, {})).toEqual(updated!);
      expect(await revision(sql)).toBe(before);
      expect(await dir.updateOrg(9999, { rpm: 1 })).toBeUndefined();
      expect((await dir.listOrgs()).map((o) => o.name)).toEqual(['physik']);
      expect(await dir.listOrgs([])).toEqual([]);
    });

    test('a taken org name is a 409 conflict refusal, on create and on rename', async () => {
      const { dir } = await setup(d);
      await dir.createOrg('a');
      const b = await dir.createOrg('b');
      const dup = await refusal(dir.createOrg('a'));
      expect(dup).toMatchObject({ kind: 'conflict', code: 'conflict', message: 'An org named "a" already exists.' });
      expect(await refusal(dir.updateOrg(b.id, { name: 'a' }))).toMatchObject({ kind: 'conflict' });
      expect((await dir.org(b.id))!.name).toBe('b');
    });

    test('teams: unique per org, listed by org or ids, renamed; a taken name is a conflict', async () => {
      const { dir } = await setup(d);
      const a = await dir.createOrg('a');
      const b = await dir.createOrg('b');
      const t1 = await dir.createTeam(a.id, 'optics', 'light');
      const t2 = await dir.createTeam(b.id, 'optics');
      const t3 = await dir.createTeam(a.id, 'vacuum');
      expect(t1).toMatchObject({ orgId: a.id, name: 'optics', description: 'light', oidcGroup: null, mergeModelExclusions: true, poolRpm: null });
      expect(await refusal(dir.createTeam(a.id, 'optics'))).toMatchObject({ kind: 'conflict', message: 'A team named "optics" in this org already exists.' });
      expect(await refusal(dir.updateTeam(t3.id, { name: 'optics' }))).toMatchObject({ kind: 'conflict' });
      expect((await dir.listTeams({ orgId: a.id })).map((t) => t.id)).toEqual([t1.id, t3.id]);
      expect((await dir.listTeams({ ids: [t3.id, t2.id] })).map((t) => t.id)).toEqual([t2.id, t3.id]);
      expect((await dir.listTeams({ orgId: a.id, ids: [t2.id] })).map((t) => t.id)).toEqual([]);
      expect(await dir.listTeams({ ids: [] })).toEqual([]);
      expect((await dir.teamByName(b.id, 'optics'))!.id).toBe(t2.id);
      expect(await dir.updateTeam(t1.id, { description: 'lasers', poolRpm: 100, mergeModelExclusions: false })).toEqual({ ...t1, description: 'lasers', poolRpm: 100, mergeModelExclusions: false });
    });

    test('users: an email is unique across orgs; role and policy updates read back', async () => {
      const { dir } = await setup(d);
      const a = await dir.createOrg('a');
      const b = await dir.createOrg('b');
      const ada = await dir.createUser('ada@example.org', a.id, 'org-admin');
      expect(ada).toMatchObject({ email: 'ada@example.org', orgId: a.id, role: 'org-admin', oidcIssuer: null, excludedModels: [], mergeModelExclusions: true });
      expect(await refusal(dir.createUser('ada@example.org', b.id))).toMatchObject({ kind: 'conflict', message: 'A user with email ada@example.org already exists.' });
      const bob = await dir.createUser('bob@example.org', b.id);
      expect(bob.role).toBe('user');
      expect(await dir.updateUser(bob.id, { role: 'admin', otpm: 3, excludedMcpServers: ['x'] })).toEqual({ ...bob, role: 'admin', otpm: 3, excludedMcpServers: ['x'] });
      expect((await dir.listUsers(a.id)).map((u) => u.email)).toEqual(['ada@example.org']);
      expect((await dir.listUsers()).map((u) => u.email)).toEqual(['ada@example.org', 'bob@example.org']);
      expect((await dir.userByEmail('bob@example.org'))!.id).toBe(bob.id);
      expect(await dir.user(9999)).toBeUndefined();
    });

    test('membership: add, promote, list by email, a user\'s teams, remove', async () => {
      const { dir } = await setup(d);
      const org = await dir.createOrg('o');
      const team = await dir.createTeam(org.id, 't');
      const other = await dir.createTeam(org.id, 'u');
      const zoe = await dir.createUser('zoe@example.org', org.id);
      const ada = await dir.createUser('ada@example.org', org.id);
      await dir.setMember(team.id, zoe.id, true);
      await dir.setMember(team.id, ada.id, false);
      await dir.setMember(other.id, ada.id, false);
      expect(await dir.members(team.id)).toEqual([
        { userId: ada.id, email: 'ada@example.org', isAdmin: false },
        { userId: zoe.id, email: 'zoe@example.org', isAdmin: true },
      ]);
      // Setting again changes the flag (no second row).
      await dir.setMember(team.id, ada.id, true);
      await dir.setMember(team.id, zoe.id, false);
      expect(await dir.membership(team.id, ada.id)).toEqual({ isAdmin: true });
      expect(await dir.membership(team.id, zoe.id)).toEqual({ isAdmin: false });
      expect(await dir.teamsOf(ada.id)).toEqual([
        { teamId: team.id, isAdmin: true },
        { teamId: other.id, isAdmin: false },
      ]);
      expect(await dir.removeMember(team.id, ada.id)).toBe(true);
      expect(await dir.removeMember(team.id, ada.id)).toBe(false);
      expect(await dir.membership(team.id, ada.id)).toBeUndefined();
      expect((await dir.members(team.id)).map((m) => m.email)).toEqual(['zoe@example.org']);
    });

    test('keys: created once in the clear, listed by previews with their owner, renamed, limited, revoked once', async () => {
      const { sql, dir } = await setup(d);
      const org = await dir.createOrg('o');
      const ada = await dir.createUser('ada@example.org', org.id);
      const bob = await dir.createUser('bob@example.org', org.id);
      const k1 = await dir.tokens.createKey(ada.id, 'laptop', Date.now() + 60_000);
      expect(k1.key).toMatch(/^sk-[A-Za-z0-9_-]{43}$/);
      expect(k1.preview).toBe(`sk-...${k1.key.slice(-4)}`);
      expect(await sql.values('SELECT key_hash FROM api_keys WHERE id = ?', [k1.id])).toEqual([[hashKey(k1.key)]]);
      const k2 = await dir.tokens.createKey(bob.id);
      const info = (await dir.tokens.key(k1.id))!;
      expect(info).toMatchObject({ id: k1.id, name: 'laptop', preview: k1.preview, userId: ada.id, email: 'ada@example.org', orgId: org.id, serviceAccountId: null, revokedAt: null, lastUsedAt: null, rpm: null });
      expect(typeof info.createdAt).toBe('number');
      expect(typeof info.expiresAt).toBe('number');
      expect((await dir.tokens.listKeys()).map((k) => k.id)).toEqual([k1.id, k2.id]);
      expect((await dir.tokens.listKeys({ email: 'bob@example.org' })).map((k) => k.id)).toEqual([k2.id]);
      expect((await dir.tokens.listKeys({ userId: ada.id })).map((k) => k.id)).toEqual([k1.id]);
      expect(await dir.tokens.updateKey(k1.id, { name: 'desk', rpm: 4_000_000_000 })).toBe(true);
      expect(await dir.tokens.key(k1.id)).toMatchObject({ name: 'desk', rpm: 4_000_000_000, itpm: null });
      expect(await dir.tokens.updateKey(9999, { name: 'x' })).toBe(false);
      expect(await dir.tokens.revokeKey(k1.id)).toBe(true);
      expect(await dir.tokens.revokeKey(k1.id)).toBe(false);
      expect(typeof (await dir.tokens.key(k1.id))!.revokedAt).toBe('number');
      expect((await dir.tokens.listKeys({ includeRevoked: false })).map((k) => k.id)).toEqual([k2.id]);
      expect(await dir.tokens.userCount()).toBe(2);
    });

    test('the per-user count holds live personal keys only (not revoked, expired or service-account keys)', async () => {
      const { dir } = await setup(d);
      const org = await dir.createOrg('o');
      const team = await dir.createTeam(org.id, 't');
      const ada = await dir.createUser('ada@example.org', org.id);
      const now = Date.now();
      await dir.tokens.createKey(ada.id, 'live');
      await dir.tokens.createKey(ada.id, 'later', now + 60_000);
      await dir.tokens.createKey(ada.id, 'old', now - 1);
      await dir.tokens.revokeKey((await dir.tokens.createKey(ada.id, 'gone')).id);
      await dir.createServiceAccount(team.id, 'bot', '', ada.id);
      expect(await dir.tokens.personalKeyCount(ada.id, now)).toBe(2);
      expect((await dir.tokens.listKeys({ userId: ada.id, includeServiceAccounts: false })).map((k) => k.name)).toEqual(['live', 'later', 'old', 'gone']);
    });

    test('ensureOrg and ensureUser create once and find afterwards', async () => {
      const { dir } = await setup(d);
      const orgId = await dir.tokens.ensureOrg('default');
      expect(await dir.tokens.ensureOrg('default')).toBe(orgId);
      expect(await dir.defaultOrgId()).toBe(orgId);
      const first = await dir.tokens.ensureUser('cli@example.org', 'admin');
      expect(first.created).toBe(true);
      expect(await dir.tokens.ensureUser('cli@example.org')).toEqual({ id: first.id, created: false });
      expect(await dir.user(first.id)).toMatchObject({ orgId, role: 'admin' });
    });

    test('service accounts: one key each, listed with its preview; deleting one deletes its key', async () => {
      const { sql, dir } = await setup(d);
      const org = await dir.createOrg('o');
      const team = await dir.createTeam(org.id, 't');
      const ada = await dir.createUser('ada@example.org', org.id);
      const bot = await dir.createServiceAccount(team.id, 'bot', 'ci', ada.id);
      expect(bot.serviceAccount).toMatchObject({ teamId: team.id, name: 'bot', description: 'ci' });
      expect(await dir.tokens.key(bot.keyId)).toMatchObject({ name: 'service account bot', serviceAccountId: bot.serviceAccount.id, userId: ada.id });
      expect(await dir.listServiceAccounts(team.id)).toEqual([{ ...bot.serviceAccount, keyId: bot.keyId, keyPreview: `sk-...${bot.key.slice(-4)}` }]);
      expect(await refusal(dir.createServiceAccount(team.id, 'bot', '', ada.id))).toMatchObject({ kind: 'conflict', message: 'A service account named "bot" in this team already exists.' });
      // The refused creation left nothing behind: no second account, no orphan key.
      expect(await count(sql, 'service_accounts')).toBe(1);
      expect(await count(sql, 'api_keys')).toBe(1);
      expect(await dir.deleteServiceAccount(bot.serviceAccount.id)).toBe(true);
      expect(await dir.deleteServiceAccount(bot.serviceAccount.id)).toBe(false);
      expect(await dir.tokens.key(bot.keyId)).toBeUndefined();
      expect(await dir.serviceAccount(bot.serviceAccount.id)).toBeUndefined();
    });

    test('a team at its service-account cap refuses another (403) and creates nothing', async () => {
      const { sql, dir } = await setup(d);
      const org = await dir.createOrg('o');
      const team = await dir.createTeam(org.id, 't');
      const ada = await dir.createUser('ada@example.org', org.id);
      await dir.createServiceAccount(team.id, 'one', '', ada.id, 2);
      await dir.createServiceAccount(team.id, 'two', '', ada.id, 2);
      const refused = await refusal(dir.createServiceAccount(team.id, 'three', '', ada.id, 2));
      expect(refused).toMatchObject({ kind: 'forbidden', message: 'Service-account limit reached: a team may have 2 service accounts. Delete one first.' });
      expect(await count(sql, 'service_accounts')).toBe(2);
      expect(await count(sql, 'api_keys')).toBe(2);
    });

    test('deleting a team deletes its service accounts, their keys and its memberships; personal keys stay', async () => {
      const { sql, dir } = await setup(d);
      const org = await dir.createOrg('o');
      const team = await dir.createTeam(org.id, 't');
      const keep = await dir.createTeam(org.id, 'keep');
      const ada = await dir.createUser('ada@example.org', org.id);
      await dir.setMember(team.id, ada.id, true);
      const own = await dir.tokens.createKey(ada.id);
      const a = await dir.createServiceAccount(team.id, 'a', '', ada.id);
      const b = await dir.createServiceAccount(team.id, 'b', '', ada.id);
      const c = await dir.createServiceAccount(keep.id, 'c', '', ada.id);
      expect(await dir.deleteTeam(team.id)).toBe(true);
      expect(await dir.deleteTeam(team.id)).toBe(false);
      expect(await dir.team(team.id)).toBeUndefined();
      expect((await dir.tokens.listKeys()).map((k) => k.id)).toEqual([own.id, c.keyId]);
      expect(await sql.values('SELECT id FROM service_accounts')).toEqual([[c.serviceAccount.id]]);
      expect(await dir.teamsOf(ada.id)).toEqual([]);
      expect(a.keyId).not.toBe(b.keyId);
    });

    test('org counts: users, teams and live keys, a service account\'s key in its team\'s org', async () => {
      const { dir } = await setup(d);
      const a = await dir.createOrg('a');
      const b = await dir.createOrg('b');
      const empty = await dir.createOrg('empty');
      const team = await dir.createTeam(b.id, 't');
      const ada = await dir.createUser('ada@example.org', a.id);
      await dir.createUser('bob@example.org', a.id);
      await dir.tokens.createKey(ada.id);
      await dir.tokens.createKey(ada.id, 'old', Date.now() - 1);
      await dir.tokens.revokeKey((await dir.tokens.createKey(ada.id)).id);
      await dir.createServiceAccount(team.id, 'bot', '', ada.id); // ada is in org a; the key counts in b
      const counts = await dir.orgCounts();
      expect(counts.get(a.id)).toEqual({ users: 2, teams: 0, keys: 1 });
      expect(counts.get(b.id)).toEqual({ users: 0, teams: 1, keys: 1 });
      expect(counts.get(empty.id)).toEqual({ users: 0, teams: 0, keys: 0 });
    });

    test('every write bumps the access revision and logs what it touched, as the key caches expect', async () => {
      const { sql, dir } = await setup(d);
      const org = await dir.createOrg('o');
      const team = await dir.createTeam(org.id, 't');
      const ada = await dir.createUser('ada@example.org', org.id);
      // Creating an org, team or user touches no key yet: the revision moves, nothing is logged.
      expect(await revision(sql)).toBe(3);
      expect(await changes(sql)).toEqual([]);
      const key = await dir.tokens.createKey(ada.id);
      await dir.tokens.updateKey(key.id, { rpm: 1 });
      await dir.tokens.revokeKey(key.id);
      await dir.updateOrg(org.id, { rpm: 1 });
      await dir.updateTeam(team.id, { rpm: 1 });
      await dir.updateUser(ada.id, { rpm: 1 });
      await dir.setMember(team.id, ada.id, true);
      await dir.removeMember(team.id, ada.id);
      const bot = await dir.createServiceAccount(team.id, 'bot', '', ada.id);
      await dir.deleteServiceAccount(bot.serviceAccount.id);
      const bot2 = await dir.createServiceAccount(team.id, 'bot2', '', ada.id);
      await dir.deleteTeam(team.id);
      expect(await changes(sql)).toEqual([
        `key:${key.id}`,
        `key:${key.id}`,
        `key:${key.id}`,
        `org:${org.id}`,
        `team:${team.id}`,
        `user:${ada.id}`,
        `team:${team.id}`,
        `team:${team.id}`,
        `key:${bot.keyId}`,
        `key:${bot.keyId}`,
        `key:${bot2.keyId}`,
        `key:${bot2.keyId}`,
      ]);
      expect(await revision(sql)).toBeGreaterThan(3 + 12 - 1);
    });

    test('a write that fails logs nothing and changes nothing', async () => {
      const { sql, dir } = await setup(d);
      const org = await dir.createOrg('o');
      await dir.createOrg('taken');
      const before = { revision: await revision(sql), changes: await changes(sql) };
      await refusal(dir.updateOrg(org.id, { name: 'taken', rpm: 5 }));
      expect((await dir.org(org.id))!.rpm).toBeNull();
      expect({ revision: await revision(sql), changes: await changes(sql) }).toEqual(before);
    });

    test('concurrent creations of one org, user or team name: exactly one succeeds, the rest are 409 conflicts', async () => {
      const { sql, dir } = await setup(d);
      await warm(sql);
      const orgs = await Promise.allSettled(Array.from({ length: 8 }, () => dir.createOrg('race')));
      expect(tally(orgs)).toEqual({ ok: 1, kinds: ['conflict'] });
      const org = (await dir.orgByName('race'))!;
      const users = await Promise.allSettled(Array.from({ length: 8 }, (_, i) => dir.createUser('race@example.org', org.id, i % 2 ? 'user' : 'admin')));
      expect(tally(users)).toEqual({ ok: 1, kinds: ['conflict'] });
      const teams = await Promise.allSettled(Array.from({ length: 8 }, () => dir.createTeam(org.id, 'race')));
      expect(tally(teams)).toEqual({ ok: 1, kinds: ['conflict'] });
      expect([await count(sql, 'orgs'), await count(sql, 'users'), await count(sql, 'teams')]).toEqual([1, 1, 1]);
    });

    test('concurrent ensureUser calls for one email end with one user, created once', async () => {
      const { sql, dir } = await setup(d);
      await warm(sql);
      const results = await Promise.all(Array.from({ length: 8 }, () => dir.tokens.ensureUser('cli@example.org')));
      expect(new Set(results.map((r) => r.id)).size).toBe(1);
      expect(results.filter((r) => r.created)).toHaveLength(1);
      expect([await count(sql, 'orgs'), await count(sql, 'users')]).toEqual([1, 1]);
    });

    test('concurrent key creations against the per-user cap: exactly the cap succeeds, the rest are 403', async () => {
      const { sql, dir } = await setup(d);
      const org = await dir.createOrg('o');
      const ada = await dir.createUser('ada@example.org', org.id);
      await dir.tokens.createKey(ada.id, 'first');
      const reach = new Reach(dir, principalOf(ada.id, org.id, 'user'));
      await warm(sql);
      const results = await Promise.allSettled(Array.from({ length: 10 }, (_, i) => createKey(dir, reach, 4, { name: `k${i}` })));
      expect(tally(results)).toEqual({ ok: 3, kinds: ['forbidden'] });
      expect(await dir.tokens.personalKeyCount(ada.id)).toBe(4);
      // An admin creating a key for someone else is not bound by the cap.
      const admin = await dir.createUser('root@example.org', org.id, 'admin');
      const byAdmin = await createKey(dir, new Reach(dir, principalOf(admin.id, org.id, 'admin')), 4, { userId: ada.id, name: 'extra' });
      expect(byAdmin).toMatchObject({ userId: ada.id, name: 'extra', email: 'ada@example.org' });
      expect(await dir.tokens.personalKeyCount(ada.id)).toBe(5);
    });

    test('concurrent service-account creations against the team cap: exactly the cap succeeds', async () => {
      const { sql, dir } = await setup(d);
      const org = await dir.createOrg('o');
      const team = await dir.createTeam(org.id, 't');
      const ada = await dir.createUser('ada@example.org', org.id);
      await warm(sql);
      const results = await Promise.allSettled(Array.from({ length: 8 }, (_, i) => dir.createServiceAccount(team.id, `bot${i}`, '', ada.id, 1)));
      expect(tally(results)).toEqual({ ok: 1, kinds: ['forbidden'] });
      expect(await count(sql, 'service_accounts')).toBe(1);
      expect(await count(sql, 'api_keys')).toBe(1);
    });

    test('first start: one admin and one key, written to the key file, once — also when two nodes start together', async () => {
      const { sql, dir } = await setup(d);
      const dirs = [mkdtempSync(join(tmpdir(), 'aq-first-')), mkdtempSync(join(tmpdir(), 'aq-first-'))];
      await warm(sql);
      const paths = await Promise.all(dirs.map((data) => bootstrapAdmin(new Directory(sql).tokens, data)));
      const made = paths.filter((p) => p !== undefined);
      expect(made).toHaveLength(1);
      const key = readFileSync(made[0]!, 'utf8').trim();
      const keys = await dir.tokens.listKeys();
      expect(keys).toHaveLength(1);
      expect(keys[0]).toMatchObject({ email: INITIAL_ADMIN_EMAIL, name: 'initial admin key', preview: `sk-...${key.slice(-4)}` });
      expect((await dir.userByEmail(INITIAL_ADMIN_EMAIL))!.role).toBe('admin');
      expect(dirs.filter((data) => existsSync(join(data, 'initial-admin-key')))).toHaveLength(1);
      // Users exist now: a later start creates nothing.
      expect(await bootstrapAdmin(dir.tokens, dirs[0]!)).toBeUndefined();
      expect(await dir.tokens.listKeys()).toHaveLength(1);
    });
  });
}

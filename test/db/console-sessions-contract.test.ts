/**
 * The console session store (src/domain/console-sessions.ts) through the Sql port, the same assertions on
 * SQLite and PostgreSQL: open and look up, expiry, the CSRF token, a key's or a user's deletion ending the
 * sessions that hang on them, pruning, and signing out.
 */
import { afterAll, describe, expect, setDefaultTimeout, test } from 'bun:test';
import type { Sql } from '../../src/db/sql';
import { ConsoleSessions } from '../../src/domain/console-sessions';
import { csrfMatches } from '../../src/console/session';
import { DIALECTS, stopDialects } from './sql-dialects';

setDefaultTimeout(30_000);
afterAll(stopDialects);

const TTL = 60_000;
const sha256 = (token: string) => Bun.SHA256.hash(token, 'hex');

/** An org, a user in it and a key of theirs. */
async function people(sql: Sql) {
  const org = await sql.get<{ id: number }>('INSERT INTO orgs (name, created_at) VALUES (?, ?) RETURNING id', ['chemistry', 1]);
  const user = await sql.get<{ id: number }>("INSERT INTO users (email, org_id, role, created_at) VALUES (?, ?, 'org-admin', ?) RETURNING id", [
    'ada@example.org',
    org!.id,
    1,
  ]);
  const key = await sql.get<{ id: number }>('INSERT INTO api_keys (key_hash, preview, user_id, created_at) VALUES (?, ?, ?, ?) RETURNING id', [
    'hash',
    'sk-…abcd',
    user!.id,
    1,
  ]);
  return { orgId: org!.id, userId: user!.id, keyId: key!.id };
}

async function setup(d: (typeof DIALECTS)[number]) {
  const sql = await d.fresh();
  const clock = { now: 1_000_000 };
  const sessions = new ConsoleSessions(sql, TTL, () => clock.now);
  return { sql, clock, sessions, ...(await people(sql)) };
}

const count = async (sql: Sql) => (await sql.get<{ n: number }>(`SELECT ${sql.num('COUNT(*)')} AS n FROM console_sessions`))!.n;

for (const d of DIALECTS) {
  describe(d.name, () => {
    test('a session opened is found by its token, which is stored only as its hash', async () => {
      const { sql, sessions, keyId, userId } = await setup(d);
      const { token, session } = await sessions.open(keyId, userId);
      expect(session).toMatchObject({ keyId, userId, expiresAt: 1_000_000 + TTL, idToken: null });
      expect(await sessions.find(token)).toEqual(session);
      expect(await sessions.find('not-a-token')).toBeUndefined();
      expect(await sql.values('SELECT id FROM console_sessions')).toEqual([[sha256(token)]]);
    });

    test('a session past its expiry is not found, and is deleted', async () => {
      const { sql, clock, sessions, keyId, userId } = await setup(d);
      const { token } = await sessions.open(keyId, userId);
      clock.now += TTL - 1;
      expect(await sessions.find(token)).toBeDefined();
      clock.now += 1;
      expect(await sessions.find(token)).toBeUndefined();
      expect(await count(sql)).toBe(0);
    });

    test('each session has its own CSRF token: its own matches, another session\'s does not', async () => {
      const { sessions, keyId, userId } = await setup(d);
      const a = await sessions.open(keyId, userId);
      const b = await sessions.open(keyId, userId);
      expect(a.session.csrf).toMatch(/^[A-Za-z0-9_-]{43}$/);
      const found = (await sessions.find(a.token))!;
      expect(csrfMatches(found, a.session.csrf)).toBe(true);
      expect(csrfMatches(found, b.session.csrf)).toBe(false);
      expect(csrfMatches(found, undefined)).toBe(false);
    });

    test('a single sign-on session acts as its user read live, and ends when the user is deleted', async () => {
      const { sql, sessions, userId, orgId } = await setup(d);
      const { token } = await sessions.open(null, userId, 'id-token');
      expect((await sessions.find(token))!.idToken).toBe('id-token');
      await sql.run('INSERT INTO tos_acceptances (user_id, version, accepted_at) VALUES (?, ?, ?)', [userId, 'v1', 2]);
      await sql.run("UPDATE users SET role = 'admin' WHERE id = ?", [userId]);
      const who = (await sessions.userPrincipal(userId))!;
      expect(who).toMatchObject({ keyId: 0, userId, role: 'admin', orgId, email: 'ada@example.org', teamId: null, serviceAccountId: null });
      expect([...who.acceptedTerms]).toEqual(['v1']);
      await sql.run('DELETE FROM users WHERE id = ?', [userId]);
      expect(await sessions.find(token)).toBeUndefined();
      expect(await sessions.userPrincipal(userId)).toBeUndefined();
      expect(await count(sql)).toBe(0);
    });

    test("deleting a key deletes the sessions opened with it", async () => {
      const { sql, sessions, keyId, userId } = await setup(d);
      const { token } = await sessions.open(keyId, userId);
      const sso = await sessions.open(null, userId);
      await sql.run('DELETE FROM api_keys WHERE id = ?', [keyId]);
      expect(await sessions.find(token)).toBeUndefined();
      expect(await sessions.find(sso.token)).toBeDefined();
    });

    test('prune deletes the sessions that ran out and keeps the live ones; opening one prunes too', async () => {
      const { sql, clock, sessions, keyId, userId } = await setup(d);
      const old = await sessions.open(keyId, userId);
      clock.now += TTL / 2;
      const live = await sessions.open(keyId, userId);
      clock.now += TTL / 2;
      expect(await sessions.prune()).toBe(1);
      expect(await sessions.prune()).toBe(0);
      expect(await sql.values('SELECT id FROM console_sessions')).toEqual([[sha256(live.token)]]);
      clock.now += TTL;
      await sessions.open(keyId, userId);
      expect(await count(sql)).toBe(1);
      expect(await sessions.find(old.token)).toBeUndefined();
    });

    test('signing out deletes the session', async () => {
      const { sessions, keyId, userId } = await setup(d);
      const a = await sessions.open(keyId, userId);
      const b = await sessions.open(keyId, userId);
      await sessions.close(a.token);
      expect(await sessions.find(a.token)).toBeUndefined();
      expect(await sessions.find(b.token)).toBeDefined();
    });
  });
}

/**
 * Single sign-on account writes (one transaction each): a first sign-in creates the user in its org, the
 * admin role follows the admin groups both ways, team membership follows the groups without ever touching
 * teams or memberships made by hand, an email change follows the user, and a refusal leaves nothing behind.
 */
import { beforeEach, expect, test } from 'bun:test';
import { openMemoryDatabase, type DbHandle } from '../../src/db/connection';
import { migrate } from '../../src/db/migrate';
import { ConsoleSessions } from '../../src/domain/console-sessions';
import { Directory } from '../../src/domain/directory';
import { signInFromProvider, type SignInFacts } from '../../src/domain/oidc-accounts';
import { OidcLogins } from '../../src/domain/oidc-logins';
import { teamsFor } from '../../src/domain/oidc-mapping';

let h: DbHandle;
let dir: Directory;
beforeEach(() => {
  h = openMemoryDatabase();
  migrate(h.sqlite);
  dir = new Directory(h.sql);
});

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
const teamNames = async (userId: number) => (await Promise.all((await dir.teamsOf(userId)).map(async (m) => (await dir.team(m.teamId))!.name))).sort();

test('first sign-in creates the user in the org (made when missing) and its group teams; the second finds the same user', async () => {
  const first = await signInFromProvider(h.sql, facts({ groups: ['team-optics', 'staff'] }));
  if (!first.ok) throw new Error('refused');
  expect(first.created).toBe(true);
  const user = (await dir.user(first.userId))!;
  expect((await dir.org(user.orgId))!.name).toBe('physics');
  expect(user.role).toBe('user');
  expect(await teamNames(user.id)).toEqual(['optics']);
  const again = await signInFromProvider(h.sql, facts({ groups: ['team-optics'] }));
  expect(again).toMatchObject({ ok: true, userId: user.id, created: false, joined: [], left: [] });
});

test('admin groups decide admin both ways; an org-admin set by hand stays one; no admin groups leaves roles alone', async () => {
  const a = await signInFromProvider(h.sql, facts({ admin: true }));
  if (!a.ok) throw new Error('refused');
  expect((await dir.user(a.userId))!.role).toBe('admin');
  await signInFromProvider(h.sql, facts({ admin: false }));
  expect((await dir.user(a.userId))!.role).toBe('user');
  await dir.updateUser(a.userId, { role: 'org-admin' });
  await signInFromProvider(h.sql, facts({ admin: false }));
  expect((await dir.user(a.userId))!.role).toBe('org-admin');
  await dir.updateUser(a.userId, { role: 'admin' });
  await signInFromProvider(h.sql, facts({ admin: undefined }));
  expect((await dir.user(a.userId))!.role).toBe('admin');
});

test('leaving a group removes the membership it made; teams and memberships made by hand are never touched', async () => {
  const r = await signInFromProvider(h.sql, facts({ groups: ['team-optics', 'team-lasers'] }));
  if (!r.ok) throw new Error('refused');
  const orgId = (await dir.user(r.userId))!.orgId;
  // By hand: a team named like a group, and a membership in a group-made team.
  const handMade = await dir.createTeam(orgId, 'vacuum');
  await dir.setMember(handMade.id, r.userId, false);
  const optics = (await dir.teamByName(orgId, 'optics'))!;
  const colleague = await dir.createUser('bob@example.org', orgId);
  await dir.setMember(optics.id, colleague.id, true);

  const next = await signInFromProvider(h.sql, facts({ groups: ['team-lasers', 'team-vacuum'] }));
  expect(next).toMatchObject({ ok: true, joined: [], left: ['optics'], skipped: ['vacuum'] });
  expect(await teamNames(r.userId)).toEqual(['lasers', 'vacuum']);
  expect((await dir.team(handMade.id))!.oidcGroup).toBeNull();
  expect(await dir.membership(optics.id, colleague.id)).toEqual({ isAdmin: true });

  // Leaving every group: only the hand-made membership is left.
  await signInFromProvider(h.sql, facts({ groups: [] }));
  expect(await teamNames(r.userId)).toEqual(['vacuum']);
});

test('a renamed group-made team is still the group’s team (no duplicate); team creation off joins only existing group teams', async () => {
  const r = await signInFromProvider(h.sql, facts({ groups: ['team-optics'] }));
  if (!r.ok) throw new Error('refused');
  const orgId = (await dir.user(r.userId))!.orgId;
  const optics = (await dir.teamByName(orgId, 'optics'))!;
  await dir.updateTeam(optics.id, { name: 'Optics lab' });
  await signInFromProvider(h.sql, facts({ groups: ['team-optics', 'team-new'], createTeams: false }));
  expect(await teamNames(r.userId)).toEqual(['Optics lab']);
  expect((await dir.listTeams({ orgId })).map((t) => t.name)).toEqual(['Optics lab']);
});

test('an email change at the provider follows the user; an email held by another identity is refused and nothing changes', async () => {
  const r = await signInFromProvider(h.sql, facts());
  if (!r.ok) throw new Error('refused');
  await signInFromProvider(h.sql, facts({ email: 'ada.lovelace@example.org' }));
  expect((await dir.user(r.userId))!.email).toBe('ada.lovelace@example.org');

  const other = await signInFromProvider(h.sql, facts({ subject: 'sub-eve', email: 'eve@example.org' }));
  if (!other.ok) throw new Error('refused');
  const usersBefore = (await dir.listUsers()).length;
  expect(await signInFromProvider(h.sql, facts({ subject: 'sub-eve', email: 'ada.lovelace@example.org', admin: true }))).toEqual({ ok: false, reason: 'email_taken' });
  expect(await signInFromProvider(h.sql, facts({ subject: 'sub-mallory', email: 'ada.lovelace@example.org', org: 'new-org', groups: ['team-x'] }))).toEqual({ ok: false, reason: 'email_taken' });
  // Rolled back: no role change, no new user, org or team.
  expect((await dir.user(other.userId))!.role).toBe('user');
  expect((await dir.user(other.userId))!.email).toBe('eve@example.org');
  expect(await dir.listUsers()).toHaveLength(usersBefore);
  expect(await dir.orgByName('new-org')).toBeUndefined();
});

test('a user made before single sign-on (by email, no identity) is linked at their first sign-in and keeps their org', async () => {
  const orgId = (await dir.createOrg('chemistry')).id;
  const existing = await dir.createUser('ada@example.org', orgId);
  const r = await signInFromProvider(h.sql, facts());
  expect(r).toMatchObject({ ok: true, userId: existing.id, created: false });
  expect((await dir.user(existing.id))!.oidcSubject).toBe('sub-ada');
  expect((await dir.user(existing.id))!.orgId).toBe(orgId);
});

test('a key-less console session acts as its user, read live, and ends when the user is deleted', async () => {
  const r = await signInFromProvider(h.sql, facts());
  if (!r.ok) throw new Error('refused');
  const sessions = new ConsoleSessions(h.sql, 60_000);
  const { token, session } = await sessions.open(null, r.userId, 'id-token');
  expect(session.keyId).toBeNull();
  expect((await sessions.find(token))!.idToken).toBe('id-token');
  await dir.updateUser(r.userId, { role: 'org-admin' });
  expect(await sessions.userPrincipal(r.userId)).toMatchObject({ userId: r.userId, role: 'org-admin', email: 'ada@example.org', serviceAccountId: null });
  h.sqlite.run('DELETE FROM users WHERE id = ?', [r.userId]);
  expect(await sessions.find(token)).toBeUndefined();
  expect(await sessions.userPrincipal(r.userId)).toBeUndefined();
});

test('a pending login is used once and expires', async () => {
  let now = 1_000;
  const logins = new OidcLogins(h.sql, 60_000, () => now);
  const login = { state: 's', nonce: 'n', codeVerifier: 'v', returnTo: '/ui/keys' };
  const id = await logins.begin(login);
  expect(await logins.take(id)).toEqual(login);
  expect(await logins.take(id)).toBeUndefined();
  const late = await logins.begin(login);
  now += 60_001;
  expect(await logins.take(late)).toBeUndefined();
  expect(await logins.take('forged')).toBeUndefined();
});

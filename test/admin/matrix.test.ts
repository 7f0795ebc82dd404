/**
 * The management API's reach, as a generated matrix: every caller role × action × target, including
 * cross-org targets. Outside one's reach is 404 (as if absent); a visible object one may not change is 403.
 */
import { afterAll, describe, expect, test } from 'bun:test';
import { testGateway } from '../support/app';

const gw = testGateway();
afterAll(() => gw.close());
const dir = gw.directory;

// Two orgs. Org A: an org-admin, team TA with a team admin and a member, a plain user, the global admin.
const orgA = await dir.createOrg('org-a');
const orgB = await dir.createOrg('org-b');
const teamA = await dir.createTeam(orgA.id, 'team-a');
const teamB = await dir.createTeam(orgB.id, 'team-b');
const mk = async (email: string, orgId: number, role: 'user' | 'org-admin' | 'admin' = 'user') => {
  const user = await dir.createUser(email, orgId, role);
  return { user, key: (await dir.tokens.createKey(user.id, 'main')).key };
};
const admin = await mk('admin@a.example', orgA.id, 'admin');
const orgAdminA = await mk('orgadmin@a.example', orgA.id, 'org-admin');
const teamAdmin = await mk('teamadmin@a.example', orgA.id);
const member = await mk('member@a.example', orgA.id);
const plainA = await mk('plain@a.example', orgA.id);
const userB = await mk('user@b.example', orgB.id);
await dir.setMember(teamA.id, teamAdmin.user.id, true);
await dir.setMember(teamA.id, member.user.id, false);
await dir.setMember(teamB.id, userB.user.id, false);
const sa = await dir.createServiceAccount(teamA.id, 'bot', '', teamAdmin.user.id);
const expired = await (async () => {
  const u = await dir.createUser('expired@a.example', orgA.id, 'admin');
  return (await dir.tokens.createKey(u.id, 'old', Date.now() - 1000)).key;
})();
const revoked = await (async () => {
  const u = await dir.createUser('revoked@a.example', orgA.id, 'admin');
  const k = await dir.tokens.createKey(u.id, 'gone');
  await dir.tokens.revokeKey(k.id);
  return k.key;
})();
gw.keys.reload();

const CALLERS = { admin: admin.key, orgAdminA: orgAdminA.key, teamAdmin: teamAdmin.key, member: member.key, plainA: plainA.key, userB: userB.key, serviceAccount: sa.key } as const;
type Caller = keyof typeof CALLERS;
let seq = 0;
const fresh = () => `${++seq}-${Math.random().toString(36).slice(2, 7)}`;

type Req = { method: string; path: string; body?: unknown };

interface Action {
  name: string;
  /** Builds the request; runs right before it, so destructive actions get their own target. */
  req: () => Req | Promise<Req>;
  expect: Record<Caller, number>;
}

const row = (admin: number, orgAdminA: number, teamAdmin: number, member: number, plainA: number, userB: number, serviceAccount: number) => ({ admin, orgAdminA, teamAdmin, member, plainA, userB, serviceAccount });

const ACTIONS: Action[] = [
  { name: 'GET /admin/me', req: () => ({ method: 'GET', path: '/admin/me' }), expect: row(200, 200, 200, 200, 200, 200, 200) },
  { name: 'GET own org', req: () => ({ method: 'GET', path: `/admin/orgs/${orgA.id}` }), expect: row(200, 200, 200, 200, 200, 404, 404) },
  { name: 'GET other org', req: () => ({ method: 'GET', path: `/admin/orgs/${orgB.id}` }), expect: row(200, 404, 404, 404, 404, 200, 404) },
  { name: 'PATCH org limits', req: () => ({ method: 'PATCH', path: `/admin/orgs/${orgA.id}`, body: { rpm: 1000 } }), expect: row(200, 200, 404, 404, 404, 404, 404) },
  { name: 'POST org', req: () => ({ method: 'POST', path: '/admin/orgs', body: { name: `org-${fresh()}` } }), expect: row(200, 403, 403, 403, 403, 403, 403) },
  { name: 'POST team in org A', req: () => ({ method: 'POST', path: '/admin/teams', body: { name: `t-${fresh()}`, org_id: orgA.id } }), expect: row(200, 200, 403, 403, 403, 404, 404) },
  { name: 'GET team A', req: () => ({ method: 'GET', path: `/admin/teams/${teamA.id}` }), expect: row(200, 200, 200, 200, 404, 404, 404) },
  { name: 'GET team B', req: () => ({ method: 'GET', path: `/admin/teams/${teamB.id}` }), expect: row(200, 404, 404, 404, 404, 200, 404) },
  { name: 'PATCH team description', req: () => ({ method: 'PATCH', path: `/admin/teams/${teamA.id}`, body: { description: fresh() } }), expect: row(200, 200, 200, 404, 404, 404, 404) },
  { name: 'PATCH team limits', req: () => ({ method: 'PATCH', path: `/admin/teams/${teamA.id}`, body: { rpm: 1000 } }), expect: row(200, 200, 403, 404, 404, 404, 404) },
  { name: 'PATCH team B', req: () => ({ method: 'PATCH', path: `/admin/teams/${teamB.id}`, body: { description: 'x' } }), expect: row(200, 404, 404, 404, 404, 404, 404) },
  {
    name: 'DELETE a team of org A',
    req: async () => ({ method: 'DELETE', path: `/admin/teams/${(await dir.createTeam(orgA.id, `doomed-${fresh()}`)).id}` }),
    expect: row(200, 200, 404, 404, 404, 404, 404),
  },
  { name: 'GET team A members', req: () => ({ method: 'GET', path: `/admin/teams/${teamA.id}/members` }), expect: row(200, 200, 200, 200, 404, 404, 404) },
  {
    name: 'add an org-A user to team A',
    req: async () => ({ method: 'POST', path: `/admin/teams/${teamA.id}/members`, body: { email: (await dir.createUser(`new-${fresh()}@a.example`, orgA.id)).email } }),
    expect: row(200, 200, 200, 404, 404, 404, 404),
  },
  { name: 'add an org-B user to team A', req: () => ({ method: 'POST', path: `/admin/teams/${teamA.id}/members`, body: { email: userB.user.email } }), expect: row(404, 404, 404, 404, 404, 404, 404) },
  {
    name: 'make a team admin',
    req: async () => ({ method: 'POST', path: `/admin/teams/${teamA.id}/members`, body: { user_id: (await dir.createUser(`adm-${fresh()}@a.example`, orgA.id)).id, is_admin: true } }),
    expect: row(200, 200, 403, 404, 404, 404, 404),
  },
  {
    name: 'remove a member of team A',
    req: async () => {
      const u = await dir.createUser(`rm-${fresh()}@a.example`, orgA.id);
      await dir.setMember(teamA.id, u.id, false);
      return { method: 'DELETE', path: `/admin/teams/${teamA.id}/members/${u.id}` };
    },
    expect: row(200, 200, 200, 404, 404, 404, 404),
  },
  { name: 'POST service account in team A', req: () => ({ method: 'POST', path: `/admin/teams/${teamA.id}/service-accounts`, body: { name: `sa-${fresh()}` } }), expect: row(200, 200, 200, 404, 404, 404, 404) },
  {
    name: 'DELETE a service account of team A',
    req: async () => ({ method: 'DELETE', path: `/admin/service-accounts/${(await dir.createServiceAccount(teamA.id, `gone-${fresh()}`, '', admin.user.id)).serviceAccount.id}` }),
    expect: row(200, 200, 200, 404, 404, 404, 404),
  },
  { name: 'GET plain user A', req: () => ({ method: 'GET', path: `/admin/users/${plainA.user.id}` }), expect: row(200, 200, 404, 404, 200, 404, 404) },
  { name: 'PATCH plain user A limits', req: () => ({ method: 'PATCH', path: `/admin/users/${plainA.user.id}`, body: { rpm: 1000 } }), expect: row(200, 200, 404, 404, 404, 404, 404) },
  { name: 'PATCH the admin', req: () => ({ method: 'PATCH', path: `/admin/users/${admin.user.id}`, body: { rpm: 1000 } }), expect: row(200, 404, 404, 404, 404, 404, 404) },
  { name: 'GET user B', req: () => ({ method: 'GET', path: `/admin/users/${userB.user.id}` }), expect: row(200, 404, 404, 404, 404, 200, 404) },
  { name: 'POST user in org A', req: () => ({ method: 'POST', path: '/admin/users', body: { email: `u-${fresh()}@a.example`, org_id: orgA.id } }), expect: row(200, 200, 403, 403, 403, 404, 404) },
  { name: 'make someone admin', req: () => ({ method: 'POST', path: '/admin/users', body: { email: `a-${fresh()}@a.example`, role: 'admin', org_id: orgA.id } }), expect: row(200, 403, 403, 403, 403, 404, 404) },
  { name: "list plain A's keys", req: () => ({ method: 'GET', path: `/admin/keys?user_id=${plainA.user.id}` }), expect: row(200, 200, 404, 404, 200, 404, 404) },
  { name: "revoke a key of plain A", req: async () => ({ method: 'DELETE', path: `/admin/keys/${(await dir.tokens.createKey(plainA.user.id, 'spare')).id}` }), expect: row(200, 200, 404, 404, 200, 404, 404) },
  { name: "set a key limit of plain A", req: async () => ({ method: 'PATCH', path: `/admin/keys/${(await dir.tokens.createKey(plainA.user.id, 'spare')).id}`, body: { rpm: 5 } }), expect: row(200, 200, 404, 404, 403, 404, 404) },
  { name: 'revoke a key of user B', req: async () => ({ method: 'DELETE', path: `/admin/keys/${(await dir.tokens.createKey(userB.user.id, 'spare')).id}` }), expect: row(200, 404, 404, 404, 404, 200, 404) },
  { name: "revoke the service account's key", req: async () => ({ method: 'DELETE', path: `/admin/keys/${(await dir.createServiceAccount(teamA.id, `k-${fresh()}`, '', admin.user.id)).keyId}` }), expect: row(200, 200, 200, 404, 404, 404, 404) },
];

describe('management API reach', () => {
  const cases = ACTIONS.flatMap((a) => (Object.keys(CALLERS) as Caller[]).map((c) => [`${a.name} as ${c}`, a, c] as const));
  test.each(cases)('%s', async (_name, action, caller) => {
    const { method, path, body } = await action.req();
    gw.keys.reload();
    const res = await gw.request(method, path, { key: CALLERS[caller], body });
    const text = await res.text();
    expect(`${res.status} ${text.slice(0, 160)}`).toStartWith(String(action.expect[caller]));
    if (res.status >= 400) expect(JSON.parse(text).error.message).toBeString();
  });

  const dead = ACTIONS.flatMap((a) => (['expired', 'revoked'] as const).map((k) => [`${a.name} with an ${k} key`, a, k === 'expired' ? expired : revoked] as const));
  test.each(dead)('%s → 401', async (_name, action, key) => {
    const { method, path, body } = await action.req();
    const res = await gw.request(method, path, { key, body });
    expect(res.status).toBe(401);
  });

  test('lists show only what is in reach', async () => {
    const teamsOf = async (key: string) => ((await (await gw.request('GET', '/admin/teams', { key })).json()) as { data: { name: string }[] }).data.map((t) => t.name);
    expect(await teamsOf(member.key)).toEqual(['team-a']);
    expect(await teamsOf(plainA.key)).toEqual([]);
    expect(await teamsOf(userB.key)).toEqual(['team-b']);
    expect(await teamsOf(sa.key)).toEqual([]);
    const usersOf = async (key: string) => ((await (await gw.request('GET', '/admin/users', { key })).json()) as { data: { email: string; org_id: number }[] }).data;
    expect((await usersOf(orgAdminA.key)).every((u) => u.org_id === orgA.id)).toBe(true);
    expect((await usersOf(plainA.key)).map((u) => u.email)).toEqual([plainA.user.email]);
    expect((await usersOf(admin.key)).some((u) => u.org_id === orgB.id)).toBe(true);
  });

  test('a user holds at most 3 personal keys (setting)', async () => {
    const u = await mk(`cap-${fresh()}@a.example`, orgA.id);
    gw.keys.reload();
    for (let i = 0; i < 2; i++) expect((await gw.request('POST', '/admin/keys', { key: u.key, body: { name: `k${i}` } })).status).toBe(200);
    const refused = await gw.request('POST', '/admin/keys', { key: u.key, body: { name: 'one too many' } });
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as { error: { message: string } }).error.message).toContain('3 personal keys');
  });

  test('a key created through the API works at once and its revocation takes effect at once', async () => {
    const u = await mk(`live-${fresh()}@a.example`, orgA.id);
    gw.keys.reload();
    const created = (await (await gw.request('POST', '/admin/keys', { key: u.key, body: { name: 'new' } })).json()) as { id: number; key: string };
    expect((await gw.request('GET', '/v1/models', { key: created.key })).status).toBe(200);
    expect((await gw.request('DELETE', `/admin/keys/${created.id}`, { key: u.key })).status).toBe(200);
    expect((await gw.request('GET', '/v1/models', { key: created.key })).status).toBe(401);
  });
});

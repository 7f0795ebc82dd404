/** The console's teams page: members and service accounts by the /admin rules, reach (404), CSRF, escaping, the cap. */
import { afterAll, beforeEach, describe, expect, test } from 'bun:test';
import type { Team, User } from '../../src/domain/directory';
import { testGateway, type TestGateway } from '../support/app';
import { ConsoleClient } from '../support/console-client';

const CAP = 2;
let gw: TestGateway;
let team: Team;
let lead: ConsoleClient; // team admin
let orgAdmin: ConsoleClient;
let member: ConsoleClient; // plain member
let outsider: ConsoleClient; // a user of another org
let carol: User; // in the team's org, not in the team
let stranger: User; // in another org

async function person(email: string, orgId: number, role: 'user' | 'org-admin' = 'user'): Promise<{ user: User; client: ConsoleClient }> {
  const dir = gw.directory;
  const user = await dir.createUser(email, orgId, role);
  const { key } = await dir.tokens.createKey(user.id, 'main');
  gw.keys.reload();
  const client = new ConsoleClient(gw);
  expect((await client.signIn(key)).status).toBe(303);
  return { user, client };
}

const membersOf = async () => (await gw.directory.members(team.id)).map((m) => `${m.email}${m.isAdmin ? ' (admin)' : ''}`);
const serviceAccounts = async () => (await gw.directory.listServiceAccounts(team.id)).map((sa) => sa.name);
const newKeyIn = (body: string) => /id="new-key" class="secret" readonly value="(sk-[A-Za-z0-9_-]{43})"/.exec(body)?.[1];

beforeEach(async () => {
  gw?.close();
  gw = testGateway({ settings: { maxServiceAccountsPerTeam: CAP } });
  const dir = gw.directory;
  const orgA = await dir.createOrg('org-a');
  const orgB = await dir.createOrg('org-b');
  team = await dir.createTeam(orgA.id, 'platform', 'Runs the gateway');
  await dir.createTeam(orgB.id, 'other-team');
  const l = await person('lead@a.example', orgA.id);
  lead = l.client;
  orgAdmin = (await person('boss@a.example', orgA.id, 'org-admin')).client;
  const m = await person('member@a.example', orgA.id);
  member = m.client;
  outsider = (await person('out@b.example', orgB.id)).client;
  carol = await dir.createUser('carol@a.example', orgA.id);
  stranger = await dir.createUser('stranger@b.example', orgB.id);
  await dir.setMember(team.id, l.user.id, true);
  await dir.setMember(team.id, m.user.id, false);
});
afterAll(() => gw.close());

describe('teams page', () => {
  test('each person sees the teams of their reach, with their role', async () => {
    const forLead = await (await lead.get('/ui/teams')).text();
    expect(forLead).toContain(`<a href="/ui/teams/${team.id}">platform</a> <span class="badge">team admin</span>`);
    expect(forLead).toContain('<a href="/ui/teams" aria-current="page">Teams</a>');
    expect(await (await member.get('/ui/teams')).text()).toContain('platform</a> <span class="badge">member</span>');
    const forBoss = await (await orgAdmin.get('/ui/teams')).text();
    expect(forBoss).toContain('platform</a> <span class="badge">org admin</span>');
    expect(forBoss).not.toContain('other-team');
    const forOutsider = await (await outsider.get('/ui/teams')).text();
    expect(forOutsider).not.toContain('platform');
    expect(forOutsider).toContain('You are not in any team yet.');
  });

  test('a team admin adds a member by email and removes them; appointing is for org admins, as in the API', async () => {
    const added = await lead.post(`/ui/teams/${team.id}/members`, { _csrf: await lead.csrf(), email: 'carol@a.example' });
    expect(added.status).toBe(303);
    expect(added.headers.get('location')).toBe(`/ui/teams/${team.id}?done=added`);
    expect(await membersOf()).toEqual(['carol@a.example', 'lead@a.example (admin)', 'member@a.example']);
    const page = await (await lead.get(`/ui/teams/${team.id}?done=added`)).text();
    expect(page).toContain('Member added.');
    expect(page).toContain(`action="/ui/teams/${team.id}/members/${carol.id}/remove"`);
    expect(page).not.toContain('Make team admin'); // the team admin is not offered what the rules refuse

    const promote = await lead.post(`/ui/teams/${team.id}/members/${carol.id}/admin`, { _csrf: await lead.csrf(), is_admin: '1' });
    expect(promote.status).toBe(403);
    expect(await promote.text()).toContain('Only org admins appoint or dismiss team admins.');
    expect(await membersOf()).toContain('carol@a.example');

    const byBoss = await orgAdmin.post(`/ui/teams/${team.id}/members/${carol.id}/admin`, { _csrf: await orgAdmin.csrf(), is_admin: '1' });
    expect(byBoss.headers.get('location')).toBe(`/ui/teams/${team.id}?done=promoted`);
    expect(await membersOf()).toContain('carol@a.example (admin)');
    const removeAdmin = await lead.post(`/ui/teams/${team.id}/members/${carol.id}/remove`, { _csrf: await lead.csrf() });
    expect(removeAdmin.status).toBe(403);
    expect(await removeAdmin.text()).toContain('Only org admins remove team admins.');
    const demote = await orgAdmin.post(`/ui/teams/${team.id}/members/${carol.id}/admin`, { _csrf: await orgAdmin.csrf(), is_admin: '0' });
    expect(demote.headers.get('location')).toBe(`/ui/teams/${team.id}?done=demoted`);

    const removed = await lead.post(`/ui/teams/${team.id}/members/${carol.id}/remove`, { _csrf: await lead.csrf() });
    expect(removed.status).toBe(303);
    expect(await membersOf()).toEqual(['lead@a.example (admin)', 'member@a.example']);
  });

  test('a person of another org cannot be added: 404 as if unknown, nothing changed', async () => {
    for (const email of ['stranger@b.example', 'nobody@a.example']) {
      const res = await lead.post(`/ui/teams/${team.id}/members`, { _csrf: await lead.csrf(), email });
      expect(`${email} ${res.status}`).toBe(`${email} 404`);
      expect(await res.text()).toContain('No such user in this org.');
    }
    expect(await membersOf()).toEqual(['lead@a.example (admin)', 'member@a.example']);
    expect(await gw.directory.membership(team.id, stranger.id)).toBeUndefined();
  });

  test('a service account: its key shown once and working, then deleted and refused', async () => {
    const res = await lead.post(`/ui/teams/${team.id}/service-accounts`, { _csrf: await lead.csrf(), name: 'nightly' });
    expect(res.status).toBe(201);
    const body = await res.text();
    const key = newKeyIn(body);
    expect(key).toBeDefined();
    expect(body).toContain('<button type="button" data-copy="new-key"');
    expect((await gw.request('GET', '/v1/models', { key: key! })).status).toBe(200);
    const later = await (await lead.get(`/ui/teams/${team.id}`)).text();
    expect(later).not.toContain(key!);
    expect(later).toContain('<h3>nightly</h3>');

    const sa = (await gw.directory.listServiceAccounts(team.id))[0]!;
    const deleted = await lead.post(`/ui/service-accounts/${sa.id}/delete`, { _csrf: await lead.csrf() });
    expect(deleted.status).toBe(303);
    expect(deleted.headers.get('location')).toBe(`/ui/teams/${team.id}?done=deleted`);
    expect(await serviceAccounts()).toEqual([]);
    expect((await gw.request('GET', '/v1/models', { key: key! })).status).toBe(401);
    expect(await (await lead.get(`/ui/teams/${team.id}?done=deleted`)).text()).toContain('Service account deleted: its key no longer works.');
  });

  test('the service-account cap: the page says so and a further one is refused with the reason', async () => {
    for (const name of ['one', 'two']) expect((await lead.post(`/ui/teams/${team.id}/service-accounts`, { _csrf: await lead.csrf(), name })).status).toBe(201);
    expect(await (await lead.get(`/ui/teams/${team.id}`)).text()).toContain('The team is at its limit: delete a service account before creating another.');
    const res = await lead.post(`/ui/teams/${team.id}/service-accounts`, { _csrf: await lead.csrf(), name: 'three' });
    expect(res.status).toBe(403);
    const body = await res.text();
    expect(body).toContain(`Service-account limit reached: a team may have ${CAP} service accounts. Delete one first.`);
    expect(newKeyIn(body)).toBeUndefined();
    expect(await serviceAccounts()).toEqual(['one', 'two']);
  });

  test('a name already taken, or none, is refused on the page', async () => {
    await lead.post(`/ui/teams/${team.id}/service-accounts`, { _csrf: await lead.csrf(), name: 'ci' });
    const dup = await lead.post(`/ui/teams/${team.id}/service-accounts`, { _csrf: await lead.csrf(), name: 'ci' });
    expect(dup.status).toBe(409);
    expect(await dup.text()).toContain('already exists.');
    const empty = await lead.post(`/ui/teams/${team.id}/service-accounts`, { _csrf: await lead.csrf(), name: '  ' });
    expect(empty.status).toBe(400);
    expect(await empty.text()).toContain('A name is required.');
    expect(await serviceAccounts()).toEqual(['ci']);
  });
});

describe('reach', () => {
  const changes = (saId: number, userId: number): [string, Record<string, string>][] => [
    [`/ui/teams/${team.id}/members`, { email: 'carol@a.example' }],
    [`/ui/teams/${team.id}/members/${userId}/admin`, { is_admin: '1' }],
    [`/ui/teams/${team.id}/members/${userId}/remove`, {}],
    [`/ui/teams/${team.id}/service-accounts`, { name: 'sneaky' }],
    [`/ui/service-accounts/${saId}/delete`, {}],
  ];

  test('a plain member sees the team and its members read-only; every change is 404, nothing changed', async () => {
    const sa = await gw.directory.createServiceAccount(team.id, 'bot', '', carol.id);
    const page = await (await member.get(`/ui/teams/${team.id}`)).text();
    expect(page).toContain('lead@a.example <span class="badge">team admin</span>');
    expect(page).toContain('<h3>bot</h3>');
    expect(page).toContain('You are a member of this team: you can see it, and a team admin manages it.');
    expect(page).not.toContain('<form method="post" action="/ui/teams/');
    expect(page).not.toContain('/ui/service-accounts/');
    const lead_ = (await gw.directory.members(team.id)).find((m) => m.isAdmin)!;
    const before = [await membersOf(), await serviceAccounts()];
    for (const [path, fields] of changes(sa.serviceAccount.id, lead_.userId)) {
      const res = await member.post(path, { ...fields, _csrf: await member.csrf() });
      expect(`${path} ${res.status}`).toBe(`${path} 404`);
    }
    expect([await membersOf(), await serviceAccounts()]).toEqual(before);
  });

  test('a person of another org cannot see or touch the team: 404, nothing changed', async () => {
    const sa = await gw.directory.createServiceAccount(team.id, 'bot', '', carol.id);
    const seen = await outsider.get(`/ui/teams/${team.id}`);
    expect(seen.status).toBe(404);
    expect(await seen.text()).not.toContain('platform');
    const lead_ = (await gw.directory.members(team.id)).find((m) => m.isAdmin)!;
    const before = [await membersOf(), await serviceAccounts()];
    for (const [path, fields] of [...changes(sa.serviceAccount.id, lead_.userId), ['/ui/teams/abc/members', { email: 'x@b.example' }] as [string, Record<string, string>]]) {
      const res = await outsider.post(path, { ...fields, _csrf: await outsider.csrf() });
      expect(`${path} ${res.status}`).toBe(`${path} 404`);
    }
    expect([await membersOf(), await serviceAccounts()]).toEqual(before);
  });

  test('CSRF: a missing or wrong token is 403 on every change, nothing changed', async () => {
    const sa = await gw.directory.createServiceAccount(team.id, 'bot', '', carol.id);
    await gw.directory.setMember(team.id, carol.id, false);
    const before = [await membersOf(), await serviceAccounts()];
    const csrf = await orgAdmin.csrf();
    for (const token of [undefined, csrf.slice(0, -2) + 'xx']) {
      for (const [path, fields] of changes(sa.serviceAccount.id, carol.id)) {
        const res = await orgAdmin.post(path, token === undefined ? fields : { ...fields, _csrf: token });
        expect(`${path} ${res.status}`).toBe(`${path} 403`);
      }
    }
    expect([await membersOf(), await serviceAccounts()]).toEqual(before);
  });

  test('a team name is shown as text, never as markup', async () => {
    await gw.directory.updateTeam(team.id, { name: '<script>alert(1)</script>' });
    for (const path of ['/ui/teams', `/ui/teams/${team.id}`]) {
      const page = await (await lead.get(path)).text();
      expect(page).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
      expect(page).not.toContain('<script>alert(1)');
    }
  });
});

/** The console's People page: role, limits and exclusions by the PATCH /admin/users rules, reach (404), CSRF, escaping. */
import { afterAll, beforeEach, describe, expect, test } from 'bun:test';
import type { User } from '../../src/domain/directory';
import { testGateway, type TestGateway } from '../support/app';
import { ConsoleClient } from '../support/console-client';

let gw: TestGateway;
let boss: { user: User; client: ConsoleClient; key: string }; // org-admin of org A
let carol: { user: User; client: ConsoleClient; key: string }; // plain user of org A
let other: { user: User; client: ConsoleClient; key: string }; // org-admin of org B
let admin: { user: User; client: ConsoleClient; key: string };

async function person(email: string, orgId: number, role: 'user' | 'org-admin' | 'admin' = 'user') {
  const dir = gw.directory;
  const user = await dir.createUser(email, orgId, role);
  const { key } = await dir.tokens.createKey(user.id, 'main');
  gw.keys.reload();
  const client = new ConsoleClient(gw);
  expect((await client.signIn(key)).status).toBe(303);
  return { user, client, key };
}

const row = async (id: number) => {
  const u = (await gw.directory.user(id))!;
  return { role: u.role, rpm: u.rpm, itpm: u.itpm, otpm: u.otpm, excluded: u.excludedModels };
};
/** The form as the page sends it: every field, as currently shown, with `changes` on top. */
const formOf = (u: User, changes: Record<string, string>, csrf?: string): Record<string, string> => ({
  ...(csrf === undefined ? {} : { _csrf: csrf }),
  role: u.role,
  rpm: u.rpm === null ? '' : String(u.rpm),
  itpm: u.itpm === null ? '' : String(u.itpm),
  otpm: u.otpm === null ? '' : String(u.otpm),
  excluded_models: u.excludedModels.join(', '),
  ...changes,
});
const fresh = async (id: number) => (await gw.directory.user(id))!;

beforeEach(async () => {
  gw?.close();
  gw = testGateway();
  const dir = gw.directory;
  const orgA = await dir.createOrg('org-a');
  const orgB = await dir.createOrg('org-b');
  boss = await person('boss@a.example', orgA.id, 'org-admin');
  carol = await person('carol@a.example', orgA.id);
  other = await person('other@b.example', orgB.id, 'org-admin');
  admin = await person('root@a.example', orgA.id, 'admin');
});
afterAll(() => gw.close());

describe('people page', () => {
  test('shown in the navigation only to org admins and admins; plain users get 404', async () => {
    const page = await (await boss.client.get('/ui/users')).text();
    expect(page).toContain('<a href="/ui/users" aria-current="page">People</a>');
    expect(page).toContain('carol@a.example');
    expect(page).not.toContain('other@b.example');
    expect(page).toContain(`<label for="u${carol.user.id}-rpm">Requests per minute</label>`);
    expect(page).toContain(`<label for="u${carol.user.id}-excluded">Excluded models (comma-separated)</label>`);
    expect(page).not.toContain('<option value="admin"'); // org admins do not make admins
    expect(page).not.toContain(`action="/ui/users/${admin.user.id}"`); // admins are managed by admins
    expect(await (await admin.client.get('/ui/users')).text()).toContain('other@b.example');

    expect(await (await carol.client.get('/ui/keys')).text()).not.toContain('/ui/users');
    const res = await carol.client.get('/ui/users');
    expect(res.status).toBe(404);
    expect(await res.text()).not.toContain('boss@a.example');
    const post = await carol.client.post(`/ui/users/${carol.user.id}`, formOf(carol.user, { rpm: '1' }, await carol.client.csrf()));
    expect(post.status).toBe(404);
    expect((await row(carol.user.id)).rpm).toBeNull();
  });

  test('an org admin lowers a user\'s rpm and adds an excluded model: the key cache has it at once', async () => {
    await gw.directory.updateUser(carol.user.id, { rpm: 100, excludedModels: ['gpt-old'] });
    const res = await boss.client.post(`/ui/users/${carol.user.id}`, formOf(await fresh(carol.user.id), { rpm: '1', excluded_models: 'gpt-old, secret-model' }, await boss.client.csrf()));
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe(`/ui/users?done=saved#user-${carol.user.id}`);
    expect(await row(carol.user.id)).toEqual({ role: 'user', rpm: 1, itpm: null, otpm: null, excluded: ['gpt-old', 'secret-model'] });
    const p = (await gw.keys.authenticate(carol.key))!;
    expect(p.limits.rpm).toBe(1);
    expect(p.excludedModels.has('secret-model')).toBe(true);
    const page = await (await boss.client.get('/ui/users?done=saved')).text();
    expect(page).toContain('Changes saved.');
    expect(page).toContain('rpm 1 · itpm not set · otpm not set');
  });

  test('an org admin makes a user an org admin, but not an admin (refused on the page, nothing changed)', async () => {
    const up = await boss.client.post(`/ui/users/${carol.user.id}`, formOf(carol.user, { role: 'org-admin' }, await boss.client.csrf()));
    expect(up.status).toBe(303);
    expect((await row(carol.user.id)).role).toBe('org-admin');
    const res = await boss.client.post(`/ui/users/${carol.user.id}`, formOf(await fresh(carol.user.id), { role: 'admin' }, await boss.client.csrf()));
    expect(res.status).toBe(403);
    expect(await res.text()).toContain('Only admins make admins.');
    expect((await row(carol.user.id)).role).toBe('org-admin');
  });

  test('raising a limit an admin set, removing an exclusion, or editing one\'s own: refused with the reason, nothing changed', async () => {
    await gw.directory.updateUser(carol.user.id, { rpm: 10, excludedModels: ['x'] }); // as an admin set it
    gw.keys.reload();
    const before = await row(carol.user.id);
    for (const [changes, reason] of [
      [{ rpm: '20' }, 'Only admins loosen limits or exclusions (rpm)'],
      [{ rpm: '' }, 'Only admins loosen limits or exclusions (rpm)'],
      [{ excluded_models: '' }, 'Only admins loosen limits or exclusions (excluded_models)'],
    ] as [Record<string, string>, string][]) {
      const res = await boss.client.post(`/ui/users/${carol.user.id}`, formOf(await fresh(carol.user.id), changes, await boss.client.csrf()));
      expect(res.status).toBe(403);
      const body = await res.text();
      expect(body).toContain(reason);
      expect(body).toContain('role="alert"');
    }
    expect(await row(carol.user.id)).toEqual(before);
    expect((await gw.keys.authenticate(carol.key))!.limits.rpm).toBe(10);

    const ownBefore = await row(boss.user.id);
    const own = await boss.client.post(`/ui/users/${boss.user.id}`, formOf(boss.user, { rpm: '5' }, await boss.client.csrf()));
    expect(own.status).toBe(403);
    expect(await own.text()).toContain('Only admins set their own limits and exclusions.');
    expect(await row(boss.user.id)).toEqual(ownBefore);
    // Saving one's own row unchanged is not an edit.
    expect((await boss.client.post(`/ui/users/${boss.user.id}`, formOf(boss.user, {}, await boss.client.csrf()))).status).toBe(303);

    // An admin may raise it.
    expect((await admin.client.post(`/ui/users/${carol.user.id}`, formOf(await fresh(carol.user.id), { rpm: '50' }, await admin.client.csrf()))).status).toBe(303);
    expect((await row(carol.user.id)).rpm).toBe(50);
  });

  test('bad input is refused on the page with 400', async () => {
    const res = await boss.client.post(`/ui/users/${carol.user.id}`, formOf(carol.user, { rpm: '-3' }, await boss.client.csrf()));
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('Requests per minute must be a whole number of at least 1, or empty for none.');
    const role = await boss.client.post(`/ui/users/${carol.user.id}`, formOf(carol.user, { role: 'root' }, await boss.client.csrf()));
    expect(role.status).toBe(400);
    expect(await row(carol.user.id)).toEqual({ role: 'user', rpm: null, itpm: null, otpm: null, excluded: [] });
  });
});

describe('reach', () => {
  test('an org admin of another org cannot see or change the user: 404, nothing changed', async () => {
    const page = await (await other.client.get('/ui/users')).text();
    expect(page).not.toContain('carol@a.example');
    const before = await row(carol.user.id);
    for (const path of [`/ui/users/${carol.user.id}`, `/ui/users/${admin.user.id}`, '/ui/users/999999', '/ui/users/abc']) {
      const res = await other.client.post(path, formOf(carol.user, { rpm: '1', excluded_models: 'x' }, await other.client.csrf()));
      expect(`${path} ${res.status}`).toBe(`${path} 404`);
    }
    // An org admin cannot touch an admin of their own org either.
    const res = await boss.client.post(`/ui/users/${admin.user.id}`, formOf(admin.user, { rpm: '1' }, await boss.client.csrf()));
    expect(res.status).toBe(404);
    expect(await row(carol.user.id)).toEqual(before);
    expect((await row(admin.user.id)).rpm).toBeNull();
  });

  test('CSRF: a missing or wrong token is 403, nothing changed', async () => {
    const csrf = await boss.client.csrf();
    for (const token of [undefined, csrf.slice(0, -2) + 'xx']) {
      const res = await boss.client.post(`/ui/users/${carol.user.id}`, formOf(carol.user, { rpm: '1', excluded_models: 'x' }, token));
      expect(res.status).toBe(403);
    }
    expect(await row(carol.user.id)).toEqual({ role: 'user', rpm: null, itpm: null, otpm: null, excluded: [] });
  });

  test('an email and a model name with markup are shown as text', async () => {
    const odd = await gw.directory.createUser('<script>alert(1)</script>@a.example', boss.user.orgId);
    await gw.directory.updateUser(odd.id, { excludedModels: ['"><img src=x>'] });
    const page = await (await boss.client.get('/ui/users')).text();
    expect(page).toContain('&lt;script&gt;alert(1)&lt;/script&gt;@a.example');
    expect(page).not.toContain('<script>alert(1)');
    expect(page).toContain('value="&quot;&gt;&lt;img src=x&gt;"');
    expect(page).not.toContain('<img src=x>');
  });
});

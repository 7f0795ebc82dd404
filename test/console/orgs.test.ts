/** The console's Orgs page (admins only): counts, create, rename, limits and exclusions by the /admin/orgs rules; 404 for others, CSRF, escaping. */
import { afterAll, beforeEach, describe, expect, test } from 'bun:test';
import type { Org, User } from '../../src/domain/directory';
import { testGateway, type TestGateway } from '../support/app';
import { ConsoleClient } from '../support/console-client';

let gw: TestGateway;
let orgA: Org;
let orgB: Org;
let boss: { user: User; client: ConsoleClient; key: string }; // org-admin of org A
let carol: { user: User; client: ConsoleClient; key: string }; // plain user of org A
let admin: { user: User; client: ConsoleClient; key: string }; // admin, in org B

async function person(email: string, orgId: number, role: 'user' | 'org-admin' | 'admin' = 'user') {
  const user = await gw.directory.createUser(email, orgId, role);
  const { key } = await gw.directory.tokens.createKey(user.id, 'main');
  gw.keys.reload();
  const client = new ConsoleClient(gw);
  expect((await client.signIn(key)).status).toBe(303);
  return { user, client, key };
}

const fresh = async (id: number) => (await gw.directory.org(id))!;
/** The form as the page sends it: every field, as currently shown, with `changes` on top. */
const formOf = (o: Org, changes: Record<string, string>, csrf?: string): Record<string, string> => {
  const n = (x: number | null) => (x === null ? '' : String(x));
  return {
    ...(csrf === undefined ? {} : { _csrf: csrf }),
    name: o.name,
    rpm: n(o.rpm),
    itpm: n(o.itpm),
    otpm: n(o.otpm),
    pool_rpm: n(o.poolRpm),
    pool_itpm: n(o.poolItpm),
    pool_otpm: n(o.poolOtpm),
    excluded_models: o.excludedModels.join(', '),
    merge_model_exclusions: o.mergeModelExclusions ? '1' : '0',
    excluded_mcp_servers: o.excludedMcpServers.join(', '),
    merge_mcp_exclusions: o.mergeMcpExclusions ? '1' : '0',
    ...changes,
  };
};
/** One org's entry on the page. */
const entryOf = (page: string, id: number) => {
  const start = page.indexOf(`<li id="org-${id}">`);
  expect(start).toBeGreaterThan(-1);
  return page.slice(start, page.indexOf('</li>', start));
};

beforeEach(async () => {
  gw?.close();
  gw = testGateway();
  orgA = await gw.directory.createOrg('org-a');
  orgB = await gw.directory.createOrg('org-b');
  boss = await person('boss@a.example', orgA.id, 'org-admin');
  carol = await person('carol@a.example', orgA.id);
  admin = await person('root@b.example', orgB.id, 'admin');
});
afterAll(() => gw.close());

describe('orgs page', () => {
  test('admins see it in the navigation with every org and its users, teams and live keys', async () => {
    const team = await gw.directory.createTeam(orgA.id, 'research');
    await gw.directory.createServiceAccount(team.id, 'nightly', '', boss.user.id); // its key counts in org A
    const revoked = await gw.directory.tokens.createKey(carol.user.id, 'old');
    await gw.directory.tokens.revokeKey(revoked.id);
    await gw.directory.tokens.createKey(carol.user.id, 'expired', Date.now() - 1000);
    await gw.directory.updateOrg(orgA.id, { rpm: 600, poolItpm: 90000, excludedModels: ['gpt-old'], mergeMcpExclusions: false });

    const res = await admin.client.get('/ui/orgs');
    expect(res.status).toBe(200);
    const page = await res.text();
    expect(page).toContain('<a href="/ui/orgs" aria-current="page">Orgs</a>');
    expect(page).toContain('<a href="/ui/deployments">Deployments</a>');
    const a = entryOf(page, orgA.id);
    expect(a).toContain('<h3>org-a</h3>');
    // boss, carol; their two personal keys and the service account's (revoked and expired keys do not count).
    expect(a).toContain('<dt>Users</dt><dd>2</dd>');
    expect(a).toContain('<dt>Teams</dt><dd>1</dd>');
    expect(a).toContain('<dt>Live keys</dt><dd>3</dd>');
    expect(a).toContain('rpm 600 · itpm not set · otpm not set');
    expect(a).toContain('rpm not set · itpm 90000 · otpm not set');
    expect(a).toContain('<dt>Excluded models</dt><dd>gpt-old</dd>');
    expect(a).toContain('<dt>Excluded MCP servers</dt><dd>none <span class="badge">defaults not merged</span></dd>');
    const b = entryOf(page, orgB.id);
    expect(b).toContain('org-b <span class="badge">yours</span>');
    expect(b).toContain('<dt>Users</dt><dd>1</dd>');
    expect(b).toContain('<dt>Teams</dt><dd>0</dd>');
    expect(page).toContain('<li id="org-1">'); // the default org of the gateway's own admin
  });

  test('org admins and users have neither the page nor the link: 404, and their posts change nothing', async () => {
    for (const p of [boss, carol]) {
      const keys = await (await p.client.get('/ui/keys')).text();
      expect(keys).not.toContain('/ui/orgs');
      expect(keys).not.toContain('/ui/deployments');
      const res = await p.client.get('/ui/orgs');
      expect(res.status).toBe(404);
      const body = await res.text();
      expect(body).not.toContain('org-b');
      const csrf = await p.client.csrf();
      expect((await p.client.post('/ui/orgs', { _csrf: csrf, name: 'sneaky' })).status).toBe(404);
      expect((await p.client.post(`/ui/orgs/${orgA.id}`, formOf(orgA, { name: 'renamed', rpm: '1' }, csrf))).status).toBe(404);
    }
    expect(await gw.directory.orgByName('sneaky')).toBeUndefined();
    expect(await fresh(orgA.id)).toEqual(orgA);
  });

  test('an admin creates an org: it is listed, with the notice', async () => {
    const res = await admin.client.post('/ui/orgs', { _csrf: await admin.client.csrf(), name: '  Acme Labs ' });
    expect(res.status).toBe(303);
    const created = (await gw.directory.orgByName('Acme Labs'))!;
    expect(created).toBeDefined();
    expect(res.headers.get('location')).toBe(`/ui/orgs?done=created#org-${created.id}`);
    const page = await (await admin.client.get(res.headers.get('location')!.split('#')[0]!)).text();
    expect(page).toContain('Org created.');
    expect(entryOf(page, created.id)).toContain('<dt>Users</dt><dd>0</dd>');
  });

  test('an admin renames an org and sets its limits, pooled limits and exclusions: the keys feel it at once', async () => {
    const res = await admin.client.post(
      `/ui/orgs/${orgA.id}`,
      formOf(orgA, { name: 'Org A (EU)', rpm: '5', pool_otpm: '70000', excluded_models: 'gpt-old, secret-model', merge_model_exclusions: '0' }, await admin.client.csrf()),
    );
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe(`/ui/orgs?done=saved#org-${orgA.id}`);
    const o = await fresh(orgA.id);
    expect([o.name, o.rpm, o.itpm, o.poolOtpm, o.excludedModels, o.mergeModelExclusions, o.mergeMcpExclusions]).toEqual(['Org A (EU)', 5, null, 70000, ['gpt-old', 'secret-model'], false, true]);
    const p = (await gw.keys.authenticate(carol.key))!;
    expect(p.limits.rpm).toBe(5);
    expect(p.excludedModels.has('secret-model')).toBe(true);
    const page = await (await admin.client.get('/ui/orgs?done=saved')).text();
    expect(page).toContain('Changes saved.');
    expect(entryOf(page, orgA.id)).toContain('<h3>Org A (EU)</h3>');

    // Unsetting a limit (an empty field) and saving an unchanged form.
    expect((await admin.client.post(`/ui/orgs/${orgA.id}`, formOf(await fresh(orgA.id), { rpm: '' }, await admin.client.csrf()))).status).toBe(303);
    expect((await fresh(orgA.id)).rpm).toBeNull();
    const before = await fresh(orgA.id);
    expect((await admin.client.post(`/ui/orgs/${orgA.id}`, formOf(before, {}, await admin.client.csrf()))).status).toBe(303);
    expect(await fresh(orgA.id)).toEqual(before);
  });

  test('bad input and a taken name are refused on the page, nothing changed', async () => {
    const csrf = await admin.client.csrf();
    for (const [changes, status, message] of [
      [{ rpm: '-3' }, 400, 'Requests per minute must be a whole number of at least 1, or empty for none.'],
      [{ pool_itpm: '1.5' }, 400, 'Pooled input tokens per minute must be a whole number of at least 1, or empty for none.'],
      [{ name: '   ' }, 400, 'An org needs a name.'],
      [{ name: 'x'.repeat(201) }, 400, 'An org name may have at most 200 characters.'],
      [{ merge_model_exclusions: 'yes' }, 400, 'A checkbox was sent with a value the form never has.'],
      [{ name: 'org-b' }, 409, 'An org named &quot;org-b&quot; already exists.'],
    ] as [Record<string, string>, number, string][]) {
      const res = await admin.client.post(`/ui/orgs/${orgA.id}`, formOf(orgA, { rpm: '7', ...changes }, csrf));
      expect(`${JSON.stringify(changes)} ${res.status}`).toBe(`${JSON.stringify(changes)} ${status}`);
      const body = await res.text();
      expect(body).toContain(message);
      expect(entryOf(body, orgA.id)).toContain('role="alert"'); // next to the org's own form, opened
      expect(entryOf(body, orgA.id)).toContain('<details open><summary>Change org-a</summary>');
    }
    expect(await fresh(orgA.id)).toEqual(orgA);

    const empty = await admin.client.post('/ui/orgs', { _csrf: csrf, name: '' });
    expect(empty.status).toBe(400);
    expect(await empty.text()).toContain('An org needs a name.');
    const taken = await admin.client.post('/ui/orgs', { _csrf: csrf, name: 'org-a' });
    expect(taken.status).toBe(409);
    const body = await taken.text();
    expect(body).toContain('An org named &quot;org-a&quot; already exists.');
    expect(body).toContain('id="new-org-name" name="name" required maxlength="200" value="org-a"');
    expect(await gw.directory.listOrgs()).toHaveLength(3);
  });

  test('an org that does not exist is 404', async () => {
    const csrf = await admin.client.csrf();
    for (const path of ['/ui/orgs/999999', '/ui/orgs/abc', '/ui/orgs/0']) {
      const res = await admin.client.post(path, formOf(orgA, { rpm: '1' }, csrf));
      expect(`${path} ${res.status}`).toBe(`${path} 404`);
    }
  });
});

describe('safety', () => {
  test('CSRF: a missing or wrong token is 403, nothing created or changed', async () => {
    const csrf = await admin.client.csrf();
    for (const token of [undefined, csrf.slice(0, -2) + 'xx']) {
      expect((await admin.client.post('/ui/orgs', { ...(token ? { _csrf: token } : {}), name: 'forged' })).status).toBe(403);
      expect((await admin.client.post(`/ui/orgs/${orgA.id}`, formOf(orgA, { name: 'forged', rpm: '1' }, token))).status).toBe(403);
    }
    // A cross-site post is refused even with the token.
    const cross = await admin.client.post('/ui/orgs', { _csrf: csrf, name: 'forged' }, { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' });
    expect(cross.status).toBe(403);
    expect(await gw.directory.orgByName('forged')).toBeUndefined();
    expect(await fresh(orgA.id)).toEqual(orgA);
  });

  test('an org name and an excluded model with markup are shown as text', async () => {
    const res = await admin.client.post('/ui/orgs', { _csrf: await admin.client.csrf(), name: '<script>alert(1)</script>"><img src=x>' });
    expect(res.status).toBe(303);
    const odd = (await gw.directory.orgByName('<script>alert(1)</script>"><img src=x>'))!;
    await gw.directory.updateOrg(odd.id, { excludedModels: ['<b>bold</b>'] });
    const page = await (await admin.client.get('/ui/orgs')).text();
    expect(page).toContain('<h3>&lt;script&gt;alert(1)&lt;/script&gt;&quot;&gt;&lt;img src=x&gt;</h3>');
    expect(page).toContain('value="&lt;script&gt;alert(1)&lt;/script&gt;&quot;&gt;&lt;img src=x&gt;"');
    expect(page).toContain('&lt;b&gt;bold&lt;/b&gt;');
    expect(page).not.toContain('<script>alert(1)');
    expect(page).not.toContain('<img src=x>');
    expect(page).not.toContain('<b>bold');
  });
});

/** The console's Deployments page (admins only): the router's live state, a deployment cooling down after failures, never a secret. */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { MockUpstream } from '../support/mock-upstream';
import { testGateway, type TestGateway } from '../support/app';
import { ConsoleClient } from '../support/console-client';

const SECRET = 'sk-upstream-very-secret-4711';
const mock = new MockUpstream().start();
// The api_base of "solo" carries credentials of its own: only its host may be shown.
const withCredentials = mock.base('solo').replace('http://', 'http://leaky:hunter2@');
const gw: TestGateway = testGateway({
  env: { UPSTREAM_KEY: SECRET },
  routerYaml: `
model_list:
  - model_name: pair
    litellm_params: { model: openai/up-a, api_base: "${mock.base('a')}", api_key: os.environ/UPSTREAM_KEY }
  - model_name: pair
    litellm_params: { model: openai/up-b, api_base: "${mock.base('b')}", api_key: os.environ/UPSTREAM_KEY }
  - model_name: solo
    litellm_params: { model: openai/up-solo, api_base: "${withCredentials}", api_key: os.environ/UPSTREAM_KEY, extra_headers: { x-upstream-token: header-secret-99 } }
  - model_name: house
    litellm_params: { model: demo/house-chat, mock_latency_ms: 800 }
    model_info: { mode: chat }
router_settings:
  allowed_fails: 2
  cooldown_time: 60
`,
});
afterAll(async () => {
  gw.close();
  await mock.stop();
});

let admin: ConsoleClient;
let orgAdmin: ConsoleClient;
let user: ConsoleClient;
let userKey: string;
async function signedIn(email: string, role: 'user' | 'org-admin' | 'admin') {
  const u = await gw.directory.createUser(email, (await gw.directory.createOrg(`org of ${email}`)).id, role);
  const { key } = await gw.directory.tokens.createKey(u.id, 'main');
  gw.keys.reload();
  const client = new ConsoleClient(gw);
  expect((await client.signIn(key)).status).toBe(303);
  return { client, key };
}
beforeAll(async () => {
  admin = (await signedIn('root@example.org', 'admin')).client;
  orgAdmin = (await signedIn('boss@example.org', 'org-admin')).client;
  ({ client: user, key: userKey } = await signedIn('carol@example.org', 'user'));
});

const chat = (model: string) => gw.request('POST', '/v1/chat/completions', { key: userKey, body: { model, messages: [{ role: 'user', content: 'ping' }] } });
/** One deployment's entry on the page. */
const entryOf = (page: string, id: string) => {
  const start = page.indexOf(`<li id="deployment-${id}">`);
  expect(start).toBeGreaterThan(-1);
  return page.slice(start, page.indexOf('</li>', start));
};
/** What an entry says under a heading. */
const field = (entry: string, label: string) => new RegExp(`<dt>${label}</dt><dd>(.*?)</dd>`).exec(entry)?.[1];
const stateOf = (page: string, id: string) => field(entryOf(page, id), 'State');
const inFlightOf = (page: string, id: string) => field(entryOf(page, id), 'In flight');
const failuresOf = (page: string, id: string) => field(entryOf(page, id), 'Recent failures');

describe('deployments page', () => {
  test('org admins and users have neither the page nor the link: 404', async () => {
    for (const client of [orgAdmin, user]) {
      expect(await (await client.get('/ui/keys')).text()).not.toContain('/ui/deployments');
      const res = await client.get('/ui/deployments');
      expect(res.status).toBe(404);
      expect(await res.text()).not.toContain('pair#0');
    }
  });

  test('every deployment is listed healthy at first, with its provider and host', async () => {
    const res = await admin.get('/ui/deployments');
    expect(res.status).toBe(200);
    const page = await res.text();
    expect(page).toContain('<a href="/ui/deployments" aria-current="page">Deployments</a>');
    expect(page).toContain('<strong>4</strong> deployments, <strong>0</strong> cooling down.');
    const host = new URL(mock.url).host;
    for (const [id, model, upstream] of [['pair#0', 'pair', 'openai/up-a'], ['pair#1', 'pair', 'openai/up-b'], ['solo#2', 'solo', 'openai/up-solo']]) {
      const entry = entryOf(page, id!);
      expect(entry).toContain(`<h3><code>${id}</code> <span class="badge">healthy</span></h3>`);
      expect(field(entry, 'Model')).toBe(`<code>${model}</code>`);
      expect(field(entry, 'Upstream')).toBe(`<code>${upstream}</code> at <code>${host}</code>`);
      expect(field(entry, 'State')).toBe('healthy');
      expect([field(entry, 'In flight'), field(entry, 'Recent failures')]).toEqual(['0', '0']);
    }
    expect(field(entryOf(page, 'house#3'), 'Upstream')).toBe('<code>demo/house-chat</code> <span class="muted">(built in)</span>');
  });

  test('a deployment that keeps failing is shown cooling down, with its failures and the seconds left', async () => {
    mock.script('solo', ...Array(3).fill({ status: 500 }));
    expect((await chat('solo')).status).toBe(502); // three attempts, all failed: two start the cooldown
    expect(mock.requestsTo('solo')).toHaveLength(3);
    const page = await (await admin.get('/ui/deployments')).text();
    expect(page).toContain('<strong>4</strong> deployments, <strong>1</strong> cooling down.');
    expect(entryOf(page, 'solo#2')).toContain('<h3><code>solo#2</code> <span class="badge bad">cooling down</span></h3>');
    const left = /^cooling down, (\d+) s left$/.exec(stateOf(page, 'solo#2') ?? '');
    expect(left).not.toBeNull();
    expect(Number(left![1])).toBeGreaterThan(50);
    expect(Number(left![1])).toBeLessThanOrEqual(60);
    expect(failuresOf(page, 'solo#2')).toBe('3');
    expect(stateOf(page, 'pair#0')).toBe('healthy');
    expect(failuresOf(page, 'pair#0')).toBe('0');
  });

  test('a call in flight is counted while it runs', async () => {
    const call = chat('house'); // the demo deployment answers after 0.8 s
    let during = '';
    for (let i = 0; i < 30 && !/^[1-9]/.test(during); i++) {
      await Bun.sleep(10);
      during = inFlightOf(await (await admin.get('/ui/deployments')).text(), 'house#3') ?? '';
    }
    expect(during).toBe('1');
    expect((await call).status).toBe(200);
    const after = await (await admin.get('/ui/deployments')).text();
    expect(inFlightOf(after, 'house#3')).toBe('0');
  });

  test('no api key, header or credential of a deployment is ever on the page', async () => {
    const page = await (await admin.get('/ui/deployments')).text();
    for (const secret of [SECRET, 'header-secret-99', 'hunter2', 'leaky', '/solo/v1']) expect(page).not.toContain(secret);
  });
});

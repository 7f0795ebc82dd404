/** The console's keys page: every state change, CSRF, isolation, escaping and the security headers. */
import { afterAll, beforeEach, describe, expect, test } from 'bun:test';
import { testGateway, type TestGateway } from '../support/app';
import { ConsoleClient } from '../support/console-client';

let gw: TestGateway;
let ada: ConsoleClient;
let adaKey: string;

const keysOf = async (email: string) => await gw.tokens.listKeys({ email });
const keyByName = async (email: string, name: string) => (await keysOf(email)).find((k) => k.name === name)!;

beforeEach(async () => {
  gw?.close();
  gw = testGateway();
  ada = new ConsoleClient(gw);
  adaKey = gw.newKey('ada@example.com');
  expect((await ada.signIn(adaKey)).status).toBe(303);
});
afterAll(() => gw.close());

describe('keys page', () => {
  test('lists the keys with the cap; a new key is shown once, works, and is not on the next page', async () => {
    const page = await (await ada.get('/ui/keys')).text();
    expect(page).toContain('You hold <strong>1</strong> of the <strong>3</strong> live keys');
    expect(page).toContain('signed in with this key');
    const res = await ada.post('/ui/keys', { _csrf: await ada.csrf(), name: 'laptop', expires: '30d' });
    expect(res.status).toBe(201);
    const body = await res.text();
    const key = /id="new-key" class="secret" readonly value="(sk-[A-Za-z0-9_-]{43})"/.exec(body)?.[1];
    expect(key).toBeDefined();
    expect(body).toContain('<button type="button" data-copy="new-key"');
    const created = await keyByName('ada@example.com', 'laptop');
    expect(created.expiresAt! - created.createdAt).toBeGreaterThan(29 * 86_400_000);
    expect(created.expiresAt! - created.createdAt).toBeLessThanOrEqual(30 * 86_400_000 + 1000);
    expect((await gw.request('GET', '/v1/models', { key: key! })).status).toBe(200);
    expect(await (await ada.get('/ui/keys')).text()).not.toContain(key!);
  });

  test('a revoked key stays listed, marked revoked, with no actions', async () => {
    await ada.post('/ui/keys', { _csrf: await ada.csrf(), name: 'old', expires: 'never' });
    const old = await keyByName('ada@example.com', 'old');
    expect((await ada.post(`/ui/keys/${old.id}/revoke`, { _csrf: await ada.csrf() })).status).toBe(303);
    const page = await (await ada.get('/ui/keys?done=revoked')).text();
    expect(page).toContain('Key revoked: it no longer works.');
    expect(page).toMatch(/old <span class="badge">revoked<\/span>/);
    expect(page).not.toContain(`/ui/keys/${old.id}/revoke`);
  });

  test('rename, then revoke: each takes effect at once', async () => {
    await ada.post('/ui/keys', { _csrf: await ada.csrf(), name: 'ci', expires: 'never' });
    const body = await (await ada.post('/ui/keys', { _csrf: await ada.csrf(), name: 'spare', expires: '7d' })).text();
    const spareKey = /value="(sk-[^"]+)"/.exec(body)![1]!;
    const ci = await keyByName('ada@example.com', 'ci');
    const renamed = await ada.post(`/ui/keys/${ci.id}/rename`, { _csrf: await ada.csrf(), name: 'build server' });
    expect(renamed.status).toBe(303);
    expect(renamed.headers.get('location')).toBe('/ui/keys?done=renamed');
    expect((await gw.tokens.key(ci.id))!.name).toBe('build server');
    const spare = await keyByName('ada@example.com', 'spare');
    expect((await ada.post(`/ui/keys/${spare.id}/revoke`, { _csrf: await ada.csrf() })).status).toBe(303);
    expect((await gw.tokens.key(spare.id))!.revokedAt).not.toBeNull();
    expect((await gw.request('GET', '/v1/models', { key: spareKey })).status).toBe(401);
  });

  test('the per-user cap: at the limit the page says so and creating is refused with the reason', async () => {
    await ada.post('/ui/keys', { _csrf: await ada.csrf(), name: 'two', expires: 'never' });
    await ada.post('/ui/keys', { _csrf: await ada.csrf(), name: 'three', expires: 'never' });
    const page = await (await ada.get('/ui/keys')).text();
    expect(page).toContain('You are at the limit: revoke a key before creating another.');
    const res = await ada.post('/ui/keys', { _csrf: await ada.csrf(), name: 'four', expires: 'never' });
    expect(res.status).toBe(403);
    expect(await res.text()).toContain('Key limit reached: a user may hold 3 personal keys. Revoke one first.');
    expect((await keysOf('ada@example.com')).map((k) => k.name)).toEqual(['test', 'two', 'three']);
  });

  test('bad input: an unknown lifetime or an overlong name is refused on the page, nothing created', async () => {
    const a = await ada.post('/ui/keys', { _csrf: await ada.csrf(), name: 'x', expires: '10y' });
    expect(a.status).toBe(400);
    expect(await a.text()).toContain('Choose one of the offered lifetimes.');
    const b = await ada.post('/ui/keys', { _csrf: await ada.csrf(), name: 'n'.repeat(201), expires: 'never' });
    expect(b.status).toBe(400);
    expect(await b.text()).toContain('A key name may have at most 200 characters.');
    expect(await keysOf('ada@example.com')).toHaveLength(1);
  });
});

describe('CSRF', () => {
  const attempts: [string, (csrf: string) => Record<string, string>, Record<string, string>][] = [
    ['no token', () => ({}), {}],
    ['a wrong token', (csrf) => ({ _csrf: csrf.slice(0, -2) + 'xx' }), {}],
    ['another session’s token', () => ({ _csrf: 'from-another-session' }), {}],
    ['the right token from another site (Origin)', (csrf) => ({ _csrf: csrf }), { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' }],
    ['the right token, Sec-Fetch-Site cross-site only', (csrf) => ({ _csrf: csrf }), { origin: '', 'sec-fetch-site': 'cross-site' }],
  ];
  for (const [what, form, headers] of attempts) {
    test(`${what}: every state change is 403 and changes nothing`, async () => {
      await ada.post('/ui/keys', { _csrf: await ada.csrf(), name: 'target', expires: 'never' });
      const target = await keyByName('ada@example.com', 'target');
      const csrf = await ada.csrf();
      const h = Object.fromEntries(Object.entries(headers).filter(([, v]) => v !== ''));
      if (headers.origin === '') h.origin = 'null'; // an opaque origin: a sandboxed or cross-site form
      const before = JSON.stringify(await keysOf('ada@example.com'));
      const changes: [string, Record<string, string>][] = [
        ['/ui/keys', { name: 'sneaky', expires: 'never' }],
        [`/ui/keys/${target.id}/rename`, { name: 'pwned' }],
        [`/ui/keys/${target.id}/revoke`, {}],
        ['/ui/sign-out', {}],
      ];
      for (const [path, fields] of changes) {
        const res = await ada.post(path, { ...fields, ...form(csrf) }, h);
        expect(`${path} ${res.status}`).toBe(`${path} 403`);
        expect(await res.text()).toContain('This form was sent from another site, or it has expired.');
      }
      expect(JSON.stringify(await keysOf('ada@example.com'))).toBe(before);
      expect((await ada.get('/ui/keys')).status).toBe(200); // still signed in
    });
  }
});

describe('isolation', () => {
  test("another user's key cannot be renamed or revoked through the console: 404, as if absent", async () => {
    const bobKey = gw.newKey('bob@example.com');
    const bob = (await keysOf('bob@example.com'))[0]!;
    for (const [path, fields] of [
      [`/ui/keys/${bob.id}/rename`, { name: 'mine now' }],
      [`/ui/keys/${bob.id}/revoke`, {}],
      ['/ui/keys/999999/revoke', {}],
      ['/ui/keys/abc/revoke', {}],
    ] as const) {
      const res = await ada.post(path, { ...fields, _csrf: await ada.csrf() });
      expect(`${path} ${res.status}`).toBe(`${path} 404`);
      expect(await res.text()).toContain('No such key.');
    }
    expect(await gw.tokens.key(bob.id)).toMatchObject({ name: 'test', revokedAt: null });
    expect((await gw.request('GET', '/v1/models', { key: bobKey })).status).toBe(200);
    expect(await (await ada.get('/ui/keys')).text()).not.toContain(bob.preview);
  });
});

describe('pages', () => {
  test('a key name is shown as text, never as markup', async () => {
    await ada.post('/ui/keys', { _csrf: await ada.csrf(), name: '<script>alert(1)</script>', expires: 'never' });
    const page = await (await ada.get('/ui/keys')).text();
    expect(page).not.toContain('<script>alert(1)</script>');
    expect(page).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(page.match(/<script\b/g)).toHaveLength(1); // the console's own script only
  });

  test('every console answer carries the strict CSP and no-sniff; pages are not cached', async () => {
    const signedOut = new ConsoleClient(gw);
    const answers = [
      await signedOut.get('/ui/sign-in'),
      await signedOut.signIn('sk-wrong'),
      await ada.get('/ui/keys'),
      await ada.post('/ui/keys', { _csrf: await ada.csrf(), name: 'csp', expires: 'never' }),
      await ada.post('/ui/keys', { name: 'no token' }),
      await ada.get('/ui/no-such-page'),
    ];
    expect(answers.map((r) => r.status)).toEqual([200, 401, 200, 201, 403, 404]);
    for (const res of answers) {
      expect(res.headers.get('content-security-policy')).toStartWith("default-src 'self';");
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('x-frame-options')).toBe('DENY');
      expect(res.headers.get('cache-control')).toBe('no-store');
    }
  });

  test('the stylesheet and script are served from the binary, with the CSP too', async () => {
    const page = await (await ada.get('/ui/keys')).text();
    const urls = [...page.matchAll(/(?:href|src)="(\/ui\/assets\/[^"]+)"/g)].map((m) => m[1]!);
    expect(urls).toHaveLength(3); // icon, stylesheet, script
    for (const url of urls) {
      const res = await ada.get(url);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-security-policy')).toStartWith("default-src 'self';");
      expect((await res.text()).length).toBeGreaterThan(100);
    }
    expect((await ada.get('/ui/assets/console-nope.css')).status).toBe(404);
  });
});

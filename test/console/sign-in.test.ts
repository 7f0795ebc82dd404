/** Console sign-in, sessions and sign-out, in-process. */
import { afterAll, beforeEach, describe, expect, test } from 'bun:test';
import { testGateway, type TestGateway } from '../support/app';
import { ConsoleClient } from '../support/console-client';

let gw: TestGateway;
let browser: ConsoleClient;
const sessionRows = () => gw.db.sqlite.query<{ n: number }, []>('SELECT count(*) AS n FROM console_sessions').get()!.n;

beforeEach(() => {
  gw?.close();
  gw = testGateway();
  browser = new ConsoleClient(gw);
});
afterAll(() => gw.close());

describe('sign-in', () => {
  test('a browser asking for / is sent to /ui/; an API client gets the same JSON 404 as before', async () => {
    const page = await browser.get('/');
    expect(page.status).toBe(302);
    expect(page.headers.get('location')).toBe('/ui/');
    const api = await gw.request('GET', '/', { key: null, headers: { accept: 'application/json' } });
    expect(api.status).toBe(404);
    expect(((await api.json()) as { error: { code: string } }).error.code).toBe('unknown_url');
  });

  test('/ui/ without a session leads to the sign-in page, a labelled key field', async () => {
    const start = await browser.get('/ui/');
    expect(start.status).toBe(303);
    expect(start.headers.get('location')).toBe('/ui/sign-in');
    const page = await browser.get('/ui/sign-in');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const body = await page.text();
    expect(body).toContain('<label for="key">Your API key</label>');
    expect(body).toContain('<input id="key" name="key" type="password"');
  });

  test('a bad key: a clear error, no cookie, no session', async () => {
    const res = await browser.signIn('sk-not-a-real-key');
    expect(res.status).toBe(401);
    expect(res.headers.get('set-cookie')).toBeNull();
    expect(await res.text()).toContain('That key is not valid: it is unknown, revoked or expired.');
    expect(sessionRows()).toBe(0);
    const keys = await browser.get('/ui/keys');
    expect(keys.status).toBe(303);
    expect(keys.headers.get('location')).toBe('/ui/sign-in');
  });

  test('a good key: an HttpOnly, SameSite=Lax cookie for /ui only; the key page names the person', async () => {
    const res = await browser.signIn(gw.newKey('ada@example.com'));
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/ui/keys');
    const cookie = res.headers.get('set-cookie')!;
    expect(cookie).toMatch(/^aq_console=[A-Za-z0-9_-]{43}; Path=\/ui; HttpOnly; SameSite=Lax; Max-Age=43200$/);
    // Only a hash of the token is stored.
    const row = gw.db.sqlite.query<{ id: string }, []>('SELECT id FROM console_sessions').get()!;
    expect(row.id).toBe(Bun.SHA256.hash(browser.cookie!, 'hex'));
    const page = await browser.get('/ui/keys');
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('ada@example.com');
  });

  test('the cookie is Secure when the gateway is reached over https', async () => {
    const res = await gw.app.handle(
      new Request('https://gw.example/ui/sign-in', {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'https://gw.example' },
        body: new URLSearchParams({ key: gw.adminKey }).toString(),
      }),
    );
    expect(res.status).toBe(303);
    expect(res.headers.get('set-cookie')).toEndWith('; Secure');
  });

  test('a sign-in posted from another site is refused', async () => {
    const res = await browser.post('/ui/sign-in', { key: gw.adminKey }, { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' });
    expect(res.status).toBe(403);
    expect(res.headers.get('set-cookie')).toBeNull();
    expect(sessionRows()).toBe(0);
  });

  test('a service-account key cannot sign in', async () => {
    const team = await gw.directory.createTeam(await gw.directory.defaultOrgId(), 'robots');
    const admin = (await gw.directory.userByEmail('admin@example.com'))!;
    const { key } = await gw.directory.createServiceAccount(team.id, 'ci', '', admin.id);
    gw.keys.reload();
    const res = await browser.signIn(key);
    expect(res.status).toBe(403);
    expect(await res.text()).toContain('Service-account keys cannot sign in');
    expect(sessionRows()).toBe(0);
  });
});

describe('sessions end', () => {
  test('sign-out deletes the session row; the old cookie no longer works', async () => {
    await browser.signIn(gw.adminKey);
    const token = browser.cookie!;
    const csrf = await browser.csrf();
    const res = await browser.post('/ui/sign-out', { _csrf: csrf });
    expect(res.status).toBe(303);
    expect(res.headers.get('set-cookie')).toContain('Max-Age=0');
    expect(sessionRows()).toBe(0);
    browser.cookie = token; // a copy of the cookie kept somewhere
    const page = await browser.get('/ui/keys');
    expect(page.status).toBe(303);
    expect(page.headers.get('location')).toBe('/ui/sign-in?ended=expired');
  });

  test('an expired session leads back to sign-in with a message, and its row is deleted', async () => {
    await browser.signIn(gw.adminKey);
    gw.db.sqlite.run('UPDATE console_sessions SET expires_at = ?', [Date.now() - 1]);
    const page = await browser.get('/ui/keys');
    expect(page.status).toBe(303);
    expect(page.headers.get('location')).toBe('/ui/sign-in?ended=expired');
    expect(sessionRows()).toBe(0);
    const signIn = await browser.get('/ui/sign-in?ended=expired');
    expect(await signIn.text()).toContain('Your session has ended. Please sign in again.');
  });

  test('the session lasts AQUEDUCT_CONSOLE_SESSION_TTL', async () => {
    gw.close();
    gw = testGateway({ settings: { consoleSessionTtl: 3_600_000 } });
    browser = new ConsoleClient(gw);
    const before = Date.now();
    const res = await browser.signIn(gw.adminKey);
    expect(res.headers.get('set-cookie')).toMatch(/; Max-Age=3600$/);
    const row = gw.db.sqlite.query<{ expires_at: number }, []>('SELECT expires_at FROM console_sessions').get()!;
    expect(row.expires_at).toBeGreaterThanOrEqual(before + 3_600_000);
    expect(row.expires_at).toBeLessThanOrEqual(Date.now() + 3_600_000);
  });

  test('revoking the key a session was opened with ends the session', async () => {
    const key = gw.newKey('grace@example.com');
    await browser.signIn(key);
    expect((await browser.get('/ui/keys')).status).toBe(200);
    const id = (await gw.tokens.listKeys({ email: 'grace@example.com' }))[0]!.id;
    const revoked = await gw.request('DELETE', `/admin/keys/${id}`);
    expect(revoked.status).toBe(200);
    const page = await browser.get('/ui/keys');
    expect(page.status).toBe(303);
    expect(page.headers.get('location')).toBe('/ui/sign-in?ended=key_gone');
    expect(sessionRows()).toBe(0);
    expect(await (await browser.get('/ui/sign-in?ended=key_gone')).text()).toContain('the key you signed in with was revoked or has expired');
  });

  test('so does the expiry of that key', async () => {
    await browser.signIn(gw.newKey('hedy@example.com', { expiresAt: Date.now() + 60_000 }));
    expect((await browser.get('/ui/keys')).status).toBe(200);
    gw.db.sqlite.run("UPDATE api_keys SET expires_at = ? WHERE user_id = (SELECT id FROM users WHERE email = 'hedy@example.com')", [Date.now() - 1]);
    gw.keys.reload();
    expect((await browser.get('/ui/keys')).status).toBe(303);
  });
});

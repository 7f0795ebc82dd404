/**
 * Single sign-on in a real browser against the compiled binary and a real OpenID provider (oidc-provider on
 * 127.0.0.1, PKCE required, its development login and consent forms): a first sign-in creates the user in
 * the org and team its groups name; an admin group gives admin; leaving a group removes the team at the
 * next sign-in; sign-out ends the session at the provider too; a tampered state and an unreachable provider
 * end on pages that say so, with a way back; with terms of service, a new SSO user's key works only once they
 * accept them in the console, and again after a new version. Nothing leaves 127.0.0.1. AQUEDUCT_UPDATE_SCREENSHOTS=1 writes
 * docs/screenshots/console-sign-in-sso.png.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium as playwright, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { startBinary, tempDir, type RunningBinary } from '../support/binary';
import { findChromium, OFFLINE_FLAGS } from '../support/chromium';
import { startTestProvider, type TestProvider } from '../support/oidc-provider';

const executablePath = findChromium();
if (!executablePath) console.warn('chromium not found: skipping the single sign-on browser test');

const DOCS = join(import.meta.dir, '../../docs/screenshots');

/** A port nothing listens on right now (the gateway's, chosen before the provider needs its redirect URI). */
function freePort(): number {
  const s = Bun.serve({ hostname: '127.0.0.1', port: 0, fetch: () => new Response() });
  const port = s.port!;
  s.stop(true);
  return port;
}

const ssoEnv = (issuer: string, publicUrl: string) => ({
  AQUEDUCT_PUBLIC_URL: publicUrl,
  AQUEDUCT_OIDC_ISSUER: issuer,
  AQUEDUCT_OIDC_CLIENT_ID: 'aqueduct',
  AQUEDUCT_OIDC_PROVIDER_NAME: 'Test IdP',
  AQUEDUCT_OIDC_ORG: '^org-(.+)$',
  AQUEDUCT_OIDC_ADMIN_GROUPS: 'gateway-admins',
  AQUEDUCT_OIDC_TEAM_GROUPS: '^team-(.+)$',
});

describe.skipIf(!executablePath)('single sign-on in a browser', () => {
  let gw: RunningBinary;
  let idp: TestProvider;
  let browser: Browser;
  let shots: string;
  const foreign: string[] = [];
  const problems: string[] = [];

  beforeAll(async () => {
    const port = freePort();
    const publicUrl = `http://127.0.0.1:${port}`;
    idp = await startTestProvider({ gatewayUrl: publicUrl });
    idp.accounts.set('ada', { email: 'ada@example.org', groups: ['staff', 'org-physics', 'gateway-admins'] });
    idp.accounts.set('bob', { email: 'bob@example.org', groups: ['org-physics', 'team-optics'] });
    gw = await startBinary({ args: ['--demo', '--port', String(port)], env: ssoEnv(idp.issuer, publicUrl) });
    shots = join(gw.cwd, 'screenshots');
    mkdirSync(shots);
    browser = await playwright.launch({ executablePath, args: OFFLINE_FLAGS });
  }, 30_000);

  afterAll(async () => {
    await browser?.close();
    await gw?.stop();
    await idp?.stop();
  });

  /** A fresh browser (no cookies at the gateway or the provider), watched: our pages make no foreign request and log no error. */
  async function freshPage(): Promise<{ context: BrowserContext; page: Page }> {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, colorScheme: 'light' });
    const page = await context.newPage();
    const ours = new URL(gw.url).origin;
    page.on('request', (r) => {
      const from = r.frame().url();
      // The provider's own development pages import a web font: not ours to judge.
      if (from.startsWith(ours) && new URL(r.url()).hostname !== '127.0.0.1') foreign.push(r.url());
    });
    page.on('console', (m) => {
      // The failure pages answer 400/403/502 on purpose, which Chromium logs; anything else (a 404 asset) counts.
      if (/status of (400|403|502) /.test(m.text())) return;
      if ((m.type() === 'error' || m.type() === 'warning') && m.location().url.startsWith(ours)) problems.push(`console ${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    return { context, page };
  }

  /**
   * From the gateway's sign-in page through the provider's login (and, the first time, consent) back to the
   * console, where it lands on `landsOn` (the keys page; the terms while they are not accepted).
   */
  async function signIn(page: Page, login: string, opts: { screenshot?: boolean; at?: RunningBinary; provider?: TestProvider; landsOn?: string } = {}) {
    const at = opts.at ?? gw;
    const provider = opts.provider ?? idp;
    await page.goto(`${at.url}/ui/sign-in`);
    if (opts.screenshot) {
      const path = join(shots, 'console-sign-in-sso.png');
      await page.screenshot({ path });
      console.log(`screenshot: ${path}`);
      if (process.env.AQUEDUCT_UPDATE_SCREENSHOTS === '1') copyFileSync(path, join(DOCS, 'console-sign-in-sso.png'));
    }
    await page.getByRole('link', { name: 'Sign in with Test IdP' }).click();
    await page.waitForURL(`${provider.issuer}/**`);
    await page.locator('input[name=login]').fill(login);
    await page.locator('input[name=password]').fill('any password');
    await page.getByRole('button', { name: 'Sign-in' }).click();
    // The provider asks for consent when it has none on record for this client.
    const back = page.waitForURL(`${at.url}${opts.landsOn ?? '/ui/keys'}`);
    const consent = page.getByRole('button', { name: 'Continue' });
    await Promise.race([back, consent.waitFor()]);
    if (!page.url().startsWith(at.url)) await consent.click();
    await back;
  }

  const nav = (page: Page) => page.getByRole('navigation', { name: 'Console' }).getByRole('link').allTextContents();
  const teams = async (page: Page) => {
    await page.goto(`${gw.url}/ui/teams`);
    return (await page.getByRole('list', { name: 'Teams' }).count()) === 0 ? [] : page.getByRole('list', { name: 'Teams' }).getByRole('link').allTextContents();
  };

  test('first sign-in: the user is made in the org its groups name, as admin; a key can be made; sign-out ends the provider session too', async () => {
    const { context, page } = await freshPage();
    await signIn(page, 'ada', { screenshot: true });
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Your keys');
    expect(await page.locator('header').textContent()).toContain('ada@example.org');
    // An admin group gives admin: the admin-only sections are there, and the org came from the groups.
    expect(await nav(page)).toContain('Orgs');
    await page.goto(`${gw.url}/ui/orgs`);
    expect(await page.locator('main').textContent()).toContain('physics');

    // No key yet, and the console still works: make one.
    await page.goto(`${gw.url}/ui/keys`);
    await page.getByLabel('Name', { exact: true }).fill('laptop');
    await page.getByRole('button', { name: 'Create key' }).click();
    expect(await page.getByLabel('New API key').inputValue()).toMatch(/^sk-[A-Za-z0-9_-]{43}$/);

    // Sign out: the console session ends, then the provider asks to end its own.
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(`${idp.issuer}/**`);
    await page.getByRole('button', { name: 'Yes, sign me out' }).click();
    await page.waitForURL(`${gw.url}/ui/sign-in`);
    await page.goto(`${gw.url}/ui/keys`);
    expect(new URL(page.url()).pathname).toBe('/ui/sign-in');
    // The provider session is gone too: signing in asks for the login again.
    await page.getByRole('link', { name: 'Sign in with Test IdP' }).click();
    await page.waitForURL(`${idp.issuer}/**`);
    expect(await page.locator('input[name=login]').count()).toBe(1);
    await context.close();
  }, 60_000);

  test('team membership follows the groups: joined at the first sign-in, gone after leaving the group; admin goes with its group', async () => {
    const { context, page } = await freshPage();
    await signIn(page, 'bob');
    expect(await nav(page)).not.toContain('Orgs');
    expect(await teams(page)).toEqual(['optics']);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('button', { name: 'Yes, sign me out' }).click();
    await page.waitForURL(`${gw.url}/ui/sign-in`);

    idp.accounts.set('bob', { email: 'bob@example.org', groups: ['org-physics'] });
    await signIn(page, 'bob');
    expect(await teams(page)).toEqual([]);
    await context.close();

    // Ada leaves the admin group: at her next sign-in she is no admin.
    idp.accounts.set('ada', { email: 'ada@example.org', groups: ['org-physics'] });
    const second = await freshPage();
    await signIn(second.page, 'ada');
    expect(await nav(second.page)).not.toContain('Orgs');
    await second.context.close();
  }, 60_000);

  test('a tampered state ends on a page that says so, signs no one in, and leads back to sign in', async () => {
    const { context, page } = await freshPage();
    // A login is under way in this browser (the gateway keeps its state); an answer comes back with another state.
    await page.goto(`${gw.url}/ui/sign-in`);
    await page.getByRole('link', { name: 'Sign in with Test IdP' }).click();
    await page.waitForURL(`${idp.issuer}/**`);
    const started = await context.cookies(`${gw.url}/ui/auth/callback`);
    expect(started.map((c) => c.name)).toContain('aq_oidc');
    const tampered = `${gw.url}/ui/auth/callback?code=a-code&state=not-the-state-we-sent&iss=${encodeURIComponent(idp.issuer)}`;
    const response = await page.goto(tampered);
    expect(response!.status()).toBe(400);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Sign-in could not be verified');
    expect(await page.getByRole('alert').textContent()).toContain('does not belong to the sign-in started in this browser');
    expect(await page.content()).not.toContain('at ');
    // The login was used up: the same answer again is simply expired; and nobody is signed in.
    await page.goto(tampered.replace(/state=[^&]*/, ''));
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Sign-in expired');
    await page.getByRole('link', { name: 'Back to sign in' }).click();
    await page.waitForURL(`${gw.url}/ui/sign-in`);
    await page.goto(`${gw.url}/ui/keys`);
    expect(new URL(page.url()).pathname).toBe('/ui/sign-in');
    await context.close();
  }, 60_000);

  test('cancelled at the provider: a page that says so, nobody signed in, a way back', async () => {
    const { context, page } = await freshPage();
    await page.goto(`${gw.url}/ui/sign-in`);
    await page.getByRole('link', { name: 'Sign in with Test IdP' }).click();
    await page.waitForURL(`${idp.issuer}/**`);
    const answer = page.waitForResponse((r) => r.url().startsWith(`${gw.url}/ui/auth/callback`));
    await page.getByRole('link', { name: '[ Cancel ]' }).click();
    expect((await answer).status()).toBe(403);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Sign-in cancelled');
    expect(await page.getByRole('alert').textContent()).toContain('You are not signed in');
    await page.getByRole('link', { name: 'Back to sign in' }).click();
    await page.waitForURL(`${gw.url}/ui/sign-in`);
    await page.goto(`${gw.url}/ui/keys`);
    expect(new URL(page.url()).pathname).toBe('/ui/sign-in');
    await context.close();
  }, 60_000);

  test('an unreachable provider: the gateway starts, and the button leads to a page that says so', async () => {
    const port = freePort();
    const publicUrl = `http://127.0.0.1:${port}`;
    const down = `http://127.0.0.1:${freePort()}`;
    const other = await startBinary({ cwd: tempDir(), args: ['--port', String(port)], env: ssoEnv(down, publicUrl) });
    try {
      const { context, page } = await freshPage();
      await page.goto(`${other.url}/ui/sign-in`);
      await page.getByRole('link', { name: 'Sign in with Test IdP' }).click();
      await page.waitForURL(`${other.url}/ui/auth/login**`);
      expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Sign-in provider unreachable');
      expect(await page.getByRole('alert').textContent()).toContain('Test IdP could not be reached');
      // The key sign-in is still there.
      await page.getByRole('link', { name: 'Back to sign in' }).click();
      expect(await page.getByLabel('Your API key').count()).toBe(1);
      await context.close();
    } finally {
      await other.stop();
    }
  }, 60_000);

  test('terms of service: an SSO user\'s new key is refused (403 tos_not_accepted) until they accept in the console; a new version gates again', async () => {
    const port = freePort();
    const publicUrl = `http://127.0.0.1:${port}`;
    const cwd = tempDir();
    const terms = join(cwd, 'terms.md');
    await Bun.write(terms, '# Terms\n\nUse the gateway **fairly**.\n');
    const idp2 = await startTestProvider({ gatewayUrl: publicUrl });
    idp2.accounts.set('cy', { email: 'cy@example.org', groups: ['org-physics'] });
    const tos = await startBinary({ cwd, args: ['--demo', '--port', String(port)], env: { ...ssoEnv(idp2.issuer, publicUrl), AQUEDUCT_TOS_FILE: terms } });
    try {
      const { context, page } = await freshPage();
      // Not accepted yet: the sign-in lands on the terms, and every page says so.
      await signIn(page, 'cy', { at: tos, provider: idp2, landsOn: '/ui/terms' });
      expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Terms of service');
      expect(await page.locator('main strong').first().textContent()).toBe('fairly');
      await page.goto(`${tos.url}/ui/keys`);
      expect(await page.getByRole('alert').first().textContent()).toContain('Terms of service not accepted');
      await page.getByLabel('Name', { exact: true }).fill('laptop');
      await page.getByRole('button', { name: 'Create key' }).click();
      const key = await page.getByLabel('New API key').inputValue();

      const chat = () =>
        fetch(`${tos.url}/v1/chat/completions`, {
          method: 'POST',
          headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
          body: JSON.stringify({ model: 'demo-chat', messages: [{ role: 'user', content: 'hello' }] }),
        });
      const refused = await chat();
      expect(refused.status).toBe(403);
      const error = ((await refused.json()) as { error: { code: string; message: string } }).error;
      expect(error.code).toBe('tos_not_accepted');
      expect(error.message).toContain(`${publicUrl}/ui/terms`);
      expect((await fetch(`${tos.url}/v1/models`, { headers: { authorization: `Bearer ${key}` } })).status).toBe(200);

      await page.goto(`${tos.url}/ui/terms`);
      await page.getByRole('button', { name: 'I accept these terms' }).click();
      await page.waitForLoadState();
      expect((await chat()).status).toBe(200);

      // A new version: refused again (the file is looked at every 2 s), until accepted again.
      await Bun.write(terms, '# Terms\n\nUse the gateway fairly, and log out when done.\n');
      let status = 200;
      for (const until = Date.now() + 10_000; status === 200 && Date.now() < until; ) {
        await Bun.sleep(250);
        status = (await chat()).status;
      }
      expect(status).toBe(403);
      await page.goto(`${tos.url}/ui/terms`);
      expect(await page.locator('main').textContent()).toContain('log out when done');
      await page.getByRole('button', { name: 'I accept these terms' }).click();
      await page.waitForLoadState();
      expect((await chat()).status).toBe(200);
      await context.close();
    } finally {
      await tos.stop();
      await idp2.stop();
    }
  }, 60_000);

  test('our pages asked no other host and logged no errors', () => {
    expect(foreign).toEqual([]);
    expect(problems).toEqual([]);
  });
});

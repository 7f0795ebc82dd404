/**
 * The console of the compiled binary in a real browser (Debian's chromium driven by playwright-core), with
 * every outside host unreachable: sign in with the admin key, create a key and read it off the page, use
 * it with the official openai SDK, revoke it on the page (the SDK then gets 401), sign out. Any request to
 * another host, console error or page error fails the test. Screenshots go to the gateway's temp dir
 * (printed); AQUEDUCT_UPDATE_SCREENSHOTS=1 also writes the README's docs/screenshots/*.png.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import OpenAI from 'openai';
import { chromium as playwright, type Browser, type Page } from 'playwright-core';
import { startBinary, type RunningBinary } from '../support/binary';
import { findChromium, OFFLINE_FLAGS } from '../support/chromium';

const executablePath = findChromium();
if (!executablePath) console.warn("chromium not found: skipping the console browser test (make test installs Debian's chromium where it can)");

const DOCS = join(import.meta.dir, '../../docs/screenshots');

describe.skipIf(!executablePath)('the console in a browser', () => {
  let gw: RunningBinary;
  let browser: Browser;
  let page: Page;
  let shots: string;
  const foreign: string[] = [];
  const problems: string[] = [];

  async function shot(name: string, forDocs = false) {
    const path = join(shots, `${name}.png`);
    await page.screenshot({ path, fullPage: false });
    console.log(`screenshot: ${path}`);
    if (forDocs && process.env.AQUEDUCT_UPDATE_SCREENSHOTS === '1') copyFileSync(path, join(DOCS, `${name}.png`));
  }

  /** The page at 360 px in dark mode: nothing wider than the screen; a screenshot when named; then back. */
  async function narrowDark(name?: string, forDocs = false) {
    await page.setViewportSize({ width: 360, height: 800 });
    await page.emulateMedia({ colorScheme: 'dark' });
    expect((await page.evaluate('document.documentElement.scrollWidth')) as number).toBeLessThanOrEqual(360);
    if (name !== undefined) await shot(name, forDocs);
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.emulateMedia({ colorScheme: 'light' });
  }

  beforeAll(async () => {
    gw = await startBinary({ args: ['--demo'] });
    shots = join(gw.cwd, 'screenshots');
    mkdirSync(shots);
    browser = await playwright.launch({ executablePath, args: OFFLINE_FLAGS });
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, colorScheme: 'light' });
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: gw.url });
    page = await context.newPage();
    const origin = new URL(gw.url).origin;
    page.on('request', (r) => {
      if (new URL(r.url()).origin !== origin) foreign.push(r.url());
    });
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()} (${m.location().url})`);
    });
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  });

  afterAll(async () => {
    await browser?.close();
    await gw?.stop();
  });

  test('sign in, create a key, use it with the SDK, revoke it, sign out', async () => {
    const adminKey = readFileSync(join(gw.cwd, 'data/initial-admin-key'), 'utf8').trim();

    // A browser at / lands on the sign-in page.
    await page.goto(`${gw.url}/`);
    expect(new URL(page.url()).pathname).toBe('/ui/sign-in');
    await shot('console-sign-in');
    await page.getByLabel('Your API key').fill('sk-wrong');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').waitFor();
    expect(await page.getByRole('alert').textContent()).toBe('That key is not valid: it is unknown, revoked or expired.');

    await page.getByLabel('Your API key').fill(adminKey);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL('**/ui/keys');
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Your keys');

    // Create a key; it is on the page once, and the copy button puts it on the clipboard.
    await page.getByLabel('Name', { exact: true }).fill('notebook');
    await page.getByLabel('Expires after').selectOption('30d');
    await page.getByRole('button', { name: 'Create key' }).click();
    const field = page.getByLabel('New API key');
    const key = await field.inputValue();
    expect(key).toMatch(/^sk-[A-Za-z0-9_-]{43}$/);
    await page.getByRole('button', { name: 'Copy' }).click();
    await page.getByText('Copied to the clipboard.').waitFor();
    expect(await page.evaluate('navigator.clipboard.readText()')).toBe(key);
    await shot('console-new-key', true);

    // The key works with the official SDK.
    const client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: key, maxRetries: 0 });
    const answer = await client.chat.completions.create({ model: 'demo-chat', messages: [{ role: 'user', content: 'Hello from the console test' }] });
    expect(answer.choices[0]!.message.content!.length).toBeGreaterThan(0);

    // The list, at 360 px and in dark mode: nothing wider than the screen.
    await page.goto(`${gw.url}/ui/keys`);
    expect(await page.getByLabel('New API key').count()).toBe(0);
    await shot('console-keys', true);
    await narrowDark('console-keys-narrow-dark', true);

    // Revoke it on the page: the SDK now gets 401.
    await page.getByRole('button', { name: /^Revoke notebook / }).click();
    await page.waitForURL('**/ui/keys?done=revoked');
    expect(await page.getByRole('status').first().textContent()).toBe('Key revoked: it no longer works.');
    const refused = await client.chat.completions.create({ model: 'demo-chat', messages: [{ role: 'user', content: 'again' }] }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(OpenAI.AuthenticationError);
    expect((refused as InstanceType<typeof OpenAI.AuthenticationError>).status).toBe(401);

    // Getting started names the gateway's own URL and the demo models.
    await page.getByRole('link', { name: 'Getting started' }).click();
    await page.waitForURL('**/ui/start');
    expect(await page.locator('pre').first().textContent()).toContain(`curl ${gw.url}/v1/chat/completions`);
    expect(await page.getByRole('cell', { name: 'demo-chat', exact: true }).count()).toBe(1);
    await shot('console-getting-started', true);

    // Files & batches: a demo batch run with the SDK shows up completed, with its output to download; at 360 px too.
    const admin = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: adminKey, maxRetries: 0 });
    const lines = ['one', 'two'].map((w) => JSON.stringify({ custom_id: w, method: 'POST', url: '/v1/chat/completions', body: { model: 'demo-chat', messages: [{ role: 'user', content: w }] } }));
    const input = await admin.files.create({ file: new File([`${lines.join('\n')}\n`], 'requests.jsonl'), purpose: 'batch' });
    let batch = await admin.batches.create({ input_file_id: input.id, endpoint: '/v1/chat/completions', completion_window: '24h' });
    for (const until = Date.now() + 15_000; batch.status !== 'completed' && Date.now() < until; ) {
      await Bun.sleep(100);
      batch = await admin.batches.retrieve(batch.id);
    }
    expect(batch.status).toBe('completed');
    await page.getByRole('link', { name: 'Files & batches' }).click();
    await page.waitForURL('**/ui/files');
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Files & batches');
    expect(await page.getByText('2 completed, 0 failed, of 2').count()).toBe(1);
    expect(await page.getByRole('link', { name: `Download output of ${batch.id}` }).count()).toBe(1);
    await shot('console-files', true);
    await narrowDark('console-files-narrow-dark');

    // Teams: a team made with the API; its page creates a service account whose key is shown once; at 360 px too.
    const team = await fetch(`${gw.url}/admin/teams`, { method: 'POST', headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'research' }) });
    expect(team.status).toBe(200);
    await page.getByRole('link', { name: 'Teams' }).click();
    await page.waitForURL('**/ui/teams');
    await page.getByRole('link', { name: 'research' }).click();
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Team research');
    await page.getByLabel('Name').fill('nightly-report');
    await page.getByRole('button', { name: 'Create service account' }).click();
    const saKey = await page.getByLabel('Service-account API key').inputValue();
    expect(saKey).toMatch(/^sk-[A-Za-z0-9_-]{43}$/);
    expect((await (await fetch(`${gw.url}/v1/models`, { headers: { authorization: `Bearer ${saKey}` } })).json()) as object).toMatchObject({ object: 'list' });
    await shot('console-team', true);
    await narrowDark('console-team-narrow-dark');

    // People (org admins and admins): every user with a form for role, limits and exclusions; at 360 px too.
    await page.getByRole('link', { name: 'People' }).click();
    await page.waitForURL('**/ui/users');
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('People');
    await shot('console-people', true);
    await narrowDark('console-people-narrow-dark');

    // Usage: the calls made above (the SDK chat, the batch's two lines) in my own view and the whole gateway's,
    // with the chart drawn; at 360 px too. Usage is written off the request path: reload until it is there.
    await page.getByRole('link', { name: 'Usage' }).click();
    await page.waitForURL('**/ui/usage');
    const requests = () => page.locator('.cards div', { hasText: 'Requests' }).first().locator('dd').textContent();
    for (const until = Date.now() + 10_000; (await requests()) !== '3' && Date.now() < until; ) {
      await Bun.sleep(200);
      await page.reload();
    }
    expect(await requests()).toBe('3');
    expect(await page.getByRole('img', { name: /^Requests per hour/ }).count()).toBe(1); // my view: counts
    expect(await page.getByRole('rowheader', { name: 'demo-chat', exact: true }).count()).toBe(1);
    await page.getByLabel('Whose usage').selectOption({ label: 'Whole gateway' });
    await page.getByRole('button', { name: 'Show' }).click();
    await page.waitForURL('**/ui/usage?view=all**');
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Usage · Whole gateway');
    await shot('console-usage', true);
    await narrowDark('console-usage-narrow-dark');

    // Admins: orgs and the live state of each deployment.
    await page.getByRole('link', { name: 'Orgs' }).click();
    await page.waitForURL('**/ui/orgs');
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Orgs');
    await shot('console-orgs', true);
    await page.getByRole('link', { name: 'Deployments' }).click();
    await page.waitForURL('**/ui/deployments');
    expect(await page.getByRole('heading', { name: /^demo-chat#0 / }).count()).toBe(1);
    await shot('console-deployments', true);
    await narrowDark();

    // Keyboard: the first Tab reaches the skip link, and it leads to the content.
    await page.keyboard.press('Tab');
    expect(await page.evaluate('document.activeElement?.textContent')).toBe('Skip to content');

    // Sign out: the keys page is closed again.
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL('**/ui/sign-in');
    await page.goto(`${gw.url}/ui/keys`);
    expect(new URL(page.url()).pathname).toBe('/ui/sign-in');

    expect(foreign).toEqual([]);
    // The one error we caused on purpose: the wrong key's answer is a 401 page, which Chromium logs.
    const wrongKey = `console error: Failed to load resource: the server responded with a status of 401 (Unauthorized) (${gw.url}/ui/sign-in)`;
    expect(problems).toEqual([wrongKey]);
  }, 60_000);
});

/**
 * Terms of service (AQUEDUCT_TOS_FILE): without the setting nothing changes; with it, a person's keys are
 * refused (403 tos_not_accepted, with the URL to accept at) for model calls, files, batches and MCP until
 * they accept the version in force in the console — then at once; a changed file is a new version; a
 * service-account key follows its team's admins; People and /admin/users show who accepted what, when.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI, { toFile } from 'openai';
import { DEMO_ROUTER_YAML } from '../../src/config/demo-models';
import { termsVersion } from '../../src/config/terms-file';
import type { User } from '../../src/domain/directory';
import { makeWav } from '../audio/wav';
import { testGateway, type TestGateway } from '../support/app';
import { ConsoleClient } from '../support/console-client';

const TERMS_V1 = `# Acceptable use

Be **nice**. Read the [policy](https://example.org/policy).

- no <script>alert("x")</script> please
- [no](javascript:alert(1)) tricks
`;
const TERMS_V2 = `${TERMS_V1}\n## New in version 2\n\nDo not resell the service.\n`;

const dir = mkdtempSync(join(tmpdir(), 'aq-terms-'));
const termsFile = join(dir, 'terms.md');
writeFileSync(termsFile, TERMS_V1);

let gw: TestGateway;
let url: string;
interface Person { user: User; client: ConsoleClient; key: string }
let orgId: number;

async function person(email: string, role: 'user' | 'org-admin' | 'admin' = 'user'): Promise<Person> {
  const user = await gw.directory.createUser(email, orgId, role);
  const { key } = await gw.directory.tokens.createKey(user.id, 'main');
  gw.keys.reload();
  const client = new ConsoleClient(gw);
  const res = await client.signIn(key);
  expect(res.status).toBe(303);
  return { user, client, key };
}

const sdk = (key: string) => new OpenAI({ apiKey: key, baseURL: `${url}/v1`, maxRetries: 0 });
const chat = (key: string) => sdk(key).chat.completions.create({ model: 'demo-chat', messages: [{ role: 'user', content: 'hello there' }] });

/** The refusal an SDK call ends with (or undefined when it went through). */
async function refusal(call: Promise<unknown>): Promise<InstanceType<typeof OpenAI.APIError> | undefined> {
  try {
    await call;
    return undefined;
  } catch (err) {
    if (err instanceof OpenAI.APIError) return err;
    throw err;
  }
}

async function expectRefused(call: Promise<unknown>, version = termsVersion(Buffer.from(TERMS_V1))) {
  const err = await refusal(call);
  expect(err?.status).toBe(403);
  expect(err?.code).toBe('tos_not_accepted');
  expect(err?.message).toContain(`${url}/ui/terms`);
  expect(err?.message).toContain(version);
}

async function accept(p: Person): Promise<Response> {
  const page = await (await p.client.get('/ui/terms')).text();
  const csrf = /name="_csrf" value="([^"]+)"/.exec(page)![1]!;
  const version = /name="version" value="([^"]+)"/.exec(page)![1]!;
  return p.client.post('/ui/terms', { _csrf: csrf, version });
}

const mcpInitialize = (key: string) =>
  gw.request('POST', '/mcp-servers/tools/mcp', {
    key,
    headers: { accept: 'application/json, text/event-stream', host: 'localhost' },
    body: { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } } },
  });

beforeAll(async () => {
  gw = testGateway({
    routerYaml: DEMO_ROUTER_YAML,
    settings: { tosFile: termsFile },
    // Nothing listens there: past the gate, an MCP call gets 502, never 403.
    mcp: { servers: new Map([['tools', { name: 'tools', url: 'http://127.0.0.1:9/mcp', tags: [], headers: {} }]]) },
  });
  url = gw.listen();
  orgId = (await gw.directory.createOrg('acme')).id;
});
afterAll(() => gw.close());

describe('without AQUEDUCT_TOS_FILE', () => {
  test('keys work as before; the console has no terms page, link or banner', async () => {
    const plain = testGateway({ routerYaml: DEMO_ROUTER_YAML });
    try {
      const plainUrl = plain.listen();
      const key = plain.newKey('plain@example.com');
      const answer = await new OpenAI({ apiKey: key, baseURL: `${plainUrl}/v1`, maxRetries: 0 }).chat.completions.create({ model: 'demo-chat', messages: [{ role: 'user', content: 'hi' }] });
      expect(answer.choices[0]!.message.content).toBe('hi');
      expect((await plain.request('GET', '/v1/files', { key })).status).toBe(200);
      const client = new ConsoleClient(plain);
      expect((await client.signIn(key)).headers.get('location')).toBe('/ui/keys');
      const keys = await (await client.get('/ui/keys')).text();
      expect(keys).not.toContain('Terms of service not accepted');
      expect(keys).not.toContain('href="/ui/terms"');
      expect((await client.get('/ui/terms')).status).toBe(404);
      const users = (await (await plain.request('GET', '/admin/users')).json()) as { data: Record<string, unknown>[] };
      expect(users.data[0]).toMatchObject({ tos_version: null, tos_accepted_at: null, tos_current: null });
    } finally {
      plain.close();
    }
  });
});

describe('with terms of service', () => {
  let ann: Person;
  beforeAll(async () => {
    ann = await person('ann@acme.example');
  });

  test('until accepted: chat, embeddings, audio, files, batches and MCP calls are 403 tos_not_accepted with the URL; /v1/models and /admin work', async () => {
    await expectRefused(chat(ann.key));
    await expectRefused(sdk(ann.key).embeddings.create({ model: 'demo-embedding', input: 'x' }));
    await expectRefused(sdk(ann.key).audio.transcriptions.create({ model: 'demo-transcribe', file: await toFile(makeWav(0.5), 'a.wav') }));
    await expectRefused(sdk(ann.key).audio.speech.create({ model: 'demo-tts', voice: 'alloy', input: 'hi' }));
    await expectRefused(sdk(ann.key).files.create({ file: await toFile(Buffer.from('hello'), 'a.txt'), purpose: 'user_data' }));
    await expectRefused(sdk(ann.key).files.list());
    await expectRefused(sdk(ann.key).batches.list());
    await expectRefused(sdk(ann.key).batches.create({ input_file_id: 'file-x', endpoint: '/v1/chat/completions', completion_window: '24h' }));
    const mcp = await mcpInitialize(ann.key);
    expect(mcp.status).toBe(403);
    expect(((await mcp.json()) as { error: { code: string } }).error.code).toBe('tos_not_accepted');

    const models = await sdk(ann.key).models.list();
    expect(models.data.map((m) => m.id)).toContain('demo-chat');
    expect((await gw.request('GET', '/admin/me', { key: ann.key })).status).toBe(200);
    expect((await gw.request('GET', '/mcp-servers', { key: ann.key, headers: { host: 'localhost' } })).status).toBe(200);
  });

  test('the console stays usable: sign-in leads to the terms, every page shows a banner, the terms are rendered safely', async () => {
    const fresh = new ConsoleClient(gw);
    expect((await fresh.signIn(ann.key)).headers.get('location')).toBe('/ui/terms');
    const keys = await ann.client.get('/ui/keys');
    expect(keys.status).toBe(200);
    const keysPage = await keys.text();
    expect(keysPage).toContain('Terms of service not accepted');
    expect(keysPage).toContain('<a href="/ui/terms">Read and accept the terms</a>');

    const res = await ann.client.get('/ui/terms');
    expect(res.headers.get('content-security-policy')).toContain("default-src 'self'");
    const page = await res.text();
    expect(page).toContain('<h2>Acceptable use</h2>');
    expect(page).toContain('Be <strong>nice</strong>.');
    expect(page).toContain('<a href="https://example.org/policy" rel="noopener noreferrer nofollow">policy</a>');
    expect(page).not.toContain('<script>alert');
    expect(page).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;');
    expect(page).not.toContain('href="javascript:');
    expect(page).toContain(`Version <code>${termsVersion(Buffer.from(TERMS_V1))}</code>`);
    expect(page).toContain('I accept these terms');
  });

  test('accepting needs the session\'s CSRF token and a same-site form', async () => {
    const page = await (await ann.client.get('/ui/terms')).text();
    const version = /name="version" value="([^"]+)"/.exec(page)![1]!;
    expect((await ann.client.post('/ui/terms', { version })).status).toBe(403);
    const csrf = /name="_csrf" value="([^"]+)"/.exec(page)![1]!;
    expect((await ann.client.post('/ui/terms', { _csrf: csrf, version }, { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' })).status).toBe(403);
    await expectRefused(chat(ann.key));
  });

  test('after accepting in the console, the key works at once; the banner is gone and the page says when', async () => {
    const before = Date.now();
    const res = await accept(ann);
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/ui/terms?done=accepted');
    const answer = await chat(ann.key);
    expect(answer.choices[0]!.message.content).toBe('hello there');
    expect((await sdk(ann.key).files.list()).data).toEqual([]);
    expect((await mcpInitialize(ann.key)).status).toBe(502); // past the gate: the (absent) MCP server
    const keysPage = await (await ann.client.get('/ui/keys')).text();
    expect(keysPage).not.toContain('Terms of service not accepted');
    const page = await (await ann.client.get('/ui/terms?done=accepted')).text();
    expect(page).toContain('you accepted the terms. Your keys work now.');
    expect(page).toContain('You accepted this version on');
    expect(page).not.toContain('I accept these terms');
    const row = gw.db.sqlite.query<{ version: string; accepted_at: number }, [number]>('SELECT version, accepted_at FROM tos_acceptances WHERE user_id = ?').all(ann.user.id);
    expect(row).toHaveLength(1);
    expect(row[0]!.version).toBe(termsVersion(Buffer.from(TERMS_V1)));
    expect(row[0]!.accepted_at).toBeGreaterThanOrEqual(before);
  });

  test('a service-account key works once an admin of its team has accepted (a plain member does not count)', async () => {
    const tia = await person('tia@acme.example'); // the team's admin
    const moe = await person('moe@acme.example'); // a plain member
    const team = await gw.directory.createTeam(orgId, 'robots');
    await gw.directory.setMember(team.id, tia.user.id, true);
    await gw.directory.setMember(team.id, moe.user.id, false);
    const bot = (await gw.directory.createServiceAccount(team.id, 'bot', '', tia.user.id)).key;
    gw.keys.refresh();

    const err = await refusal(chat(bot));
    expect(err?.status).toBe(403);
    expect(err?.code).toBe('tos_not_accepted');
    expect(err?.message).toContain("No admin of this service account's team has");

    expect((await accept(moe)).status).toBe(303);
    await expectRefused(chat(bot));
    expect((await accept(tia)).status).toBe(303);
    expect((await chat(bot)).choices[0]!.message.content).toBe('hello there');

    // Dismissed as admin: the team has no admin who accepted any more.
    await gw.directory.setMember(team.id, tia.user.id, false);
    gw.keys.refresh();
    await expectRefused(chat(bot));
  });

  test('People page and GET /admin/users show the version and time of acceptance', async () => {
    const boss = await person('boss@acme.example', 'org-admin');
    const late = await person('late@acme.example');
    const v1 = termsVersion(Buffer.from(TERMS_V1));
    const page = await (await boss.client.get('/ui/users')).text();
    expect(page).toContain('<dt>Terms of service</dt>');
    const item = (id: number) => new RegExp(`<li id="user-${id}">[\\s\\S]*?</li>`).exec(page)![0];
    expect(item(ann.user.id)).toMatch(new RegExp(`the current version <code>${v1}</code>, accepted <time datetime="\\d{4}-`));
    expect(item(late.user.id)).toContain('not accepted');

    // The admin key works on /admin without having accepted anything.
    const res = await gw.request('GET', '/admin/users');
    expect(res.status).toBe(200);
    const users = ((await res.json()) as { data: { email: string; tos_version: string | null; tos_accepted_at: number | null; tos_current: boolean | null }[] }).data;
    const annRow = users.find((u) => u.email === 'ann@acme.example')!;
    expect(annRow.tos_version).toBe(v1);
    expect(annRow.tos_current).toBe(true);
    expect(Math.abs(annRow.tos_accepted_at! - Date.now() / 1000)).toBeLessThan(60);
    expect(users.find((u) => u.email === 'late@acme.example')).toMatchObject({ tos_version: null, tos_accepted_at: null, tos_current: false });
    const one = (await (await gw.request('GET', `/admin/users/${ann.user.id}`)).json()) as Record<string, unknown>;
    expect(one).toMatchObject({ tos_version: v1, tos_current: true });
  });

  test('admins are held to the terms too', async () => {
    const root = await person('root@acme.example', 'admin');
    await expectRefused(chat(root.key));
    expect((await accept(root)).status).toBe(303);
    expect((await chat(root.key)).object).toBe('chat.completion');
  });

  test('a changed file is a new version: refused again until accepted again; a form for the old version records nothing', async () => {
    const v1 = termsVersion(Buffer.from(TERMS_V1));
    const v2 = termsVersion(Buffer.from(TERMS_V2));
    const oldPage = await (await ann.client.get('/ui/terms')).text();
    const csrf = /name="_csrf" value="([^"]+)"/.exec(oldPage)![1]!;
    writeFileSync(termsFile, TERMS_V2);

    await expectRefused(chat(ann.key), v2);
    expect((await ann.client.get('/ui/keys').then((r) => r.text()))).toContain('Terms of service not accepted');
    // Someone submitting the form of the old version has not read the new one.
    const stale = await ann.client.post('/ui/terms', { _csrf: csrf, version: v1 });
    expect(stale.status).toBe(409);
    expect(await stale.text()).toContain('The terms changed while you were reading them');
    await expectRefused(chat(ann.key), v2);

    const page = await (await ann.client.get('/ui/terms')).text();
    expect(page).toContain('<h3>New in version 2</h3>');
    expect(page).toContain(`Version <code>${v2}</code>`);
    const users = ((await (await gw.request('GET', '/admin/users')).json()) as { data: { email: string; tos_version: string; tos_current: boolean }[] }).data;
    expect(users.find((u) => u.email === 'ann@acme.example')).toMatchObject({ tos_version: v1, tos_current: false });

    expect((await accept(ann)).status).toBe(303);
    expect((await chat(ann.key)).choices[0]!.message.content).toBe('hello there');
    const after = ((await (await gw.request('GET', '/admin/users')).json()) as { data: { email: string; tos_version: string; tos_current: boolean }[] }).data;
    expect(after.find((u) => u.email === 'ann@acme.example')).toMatchObject({ tos_version: v2, tos_current: true });
  });
});

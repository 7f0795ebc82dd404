/**
 * The console's Usage page: real calls through the gateway (demo models, one token per word) show up in
 * the person's own view, their team's and their org's, by the /admin reach rules (out of reach: 404); the
 * numbers come from the rollups; CSV exports the same rows, safe to open in a spreadsheet; escaping.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import OpenAI from 'openai';
import { DEMO_ROUTER_YAML } from '../../src/config/demo-models';
import type { User } from '../../src/domain/directory';
import { testGateway, type TestGateway } from '../support/app';
import { ConsoleClient } from '../support/console-client';

let gw: TestGateway;
let url: string;
interface Person { user: User; client: ConsoleClient; key: string }
let ann: Person; // user of org A, admin of team "red"
let bob: Person; // user of org A, member of team red (not its admin)
let boss: Person; // org-admin of org A
let zed: Person; // org-admin of org B
let admin: Person;
let redId: number;
let botKey: string;

async function person(email: string, orgId: number, role: 'user' | 'org-admin' | 'admin' = 'user', keyName = 'main'): Promise<Person> {
  const user = await gw.directory.createUser(email, orgId, role);
  const { key } = await gw.directory.tokens.createKey(user.id, keyName);
  gw.keys.reload();
  const client = new ConsoleClient(gw);
  expect((await client.signIn(key)).status).toBe(303);
  return { user, client, key };
}

/** `userId`: Aqueduct's end-user attribution (the `user_id` body field, removed before forwarding). */
const chat = (key: string, content: string, userId?: string) =>
  new OpenAI({ apiKey: key, baseURL: `${url}/v1`, maxRetries: 0 }).chat.completions.create({
    model: 'demo-chat',
    messages: [{ role: 'user', content }],
    ...(userId ? ({ user_id: userId } as object) : {}),
  });

beforeAll(async () => {
  gw = testGateway({ routerYaml: DEMO_ROUTER_YAML });
  url = gw.listen();
  const orgA = await gw.directory.createOrg('org-a');
  const orgB = await gw.directory.createOrg('org-b');
  ann = await person('ann@a.example', orgA.id, 'user', '<b>ann laptop</b>');
  bob = await person('bob@a.example', orgA.id);
  boss = await person('boss@a.example', orgA.id, 'org-admin');
  zed = await person('zed@b.example', orgB.id, 'org-admin');
  admin = await person('root@a.example', orgA.id, 'admin');
  const red = await gw.directory.createTeam(orgA.id, 'red');
  redId = red.id;
  await gw.directory.setMember(red.id, ann.user.id, true);
  await gw.directory.setMember(red.id, bob.user.id, false);
  botKey = (await gw.directory.createServiceAccount(red.id, 'bot', '', ann.user.id)).key;
  gw.keys.reload();

  // ann: 2 calls of 3 and 2 words (input = output by the demo's echo); the bot: 1 call for an end user
  // whose id is a spreadsheet formula; bob 1 call; zed (org B) 1 call.
  await chat(ann.key, 'one two three');
  await chat(ann.key, 'four five');
  await chat(botKey, 'six seven eight nine', '=HYPERLINK("http://evil.example","x")');
  await chat(bob.key, 'ten');
  await chat(zed.key, 'eleven twelve');
  gw.usageRows(); // flush the recorder: rows and rollups are written
});
afterAll(() => gw.close());

/** A figure card's value on the page. */
const card = (page: string, name: string) => new RegExp(`<dt>${name}</dt><dd>([^<]*)</dd>`).exec(page)?.[1];

describe('usage page', () => {
  test('everyone has it: their own calls and their teams\' service accounts, with totals, a chart and breakdowns', async () => {
    const res = await bob.client.get('/ui/usage?range=1h');
    expect(res.status).toBe(200);
    const page = await res.text();
    expect(page).toContain('<a href="/ui/usage" aria-current="page">Usage</a>');
    expect(page).toContain('Usage · My usage');
    // bob's own call and team red's bot (bob is a member): 2 requests, 1 + 4 input tokens
    expect(card(page, 'Requests')).toBe('2');
    expect(card(page, 'Input tokens')).toBe('5');
    expect(card(page, 'Failures')).toBe('0 (0.0 %)');
    expect(page).toMatch(/<dt>Latency p95<\/dt><dd>\d[\d,]* ms<\/dd>/);
    expect(page).toContain('<svg viewBox="0 0 720 200" role="img"');
    expect(page).toContain('Requests per minute');
    expect(page).toContain('<h2 id="by-model">By model</h2>');
    expect(page).toMatch(/<th scope="row">demo-chat<\/th><td>2<\/td>/);
    // never another person's personal key
    expect(page).not.toContain('ann laptop');
  });

  test('a team admin sees the team\'s service accounts; a plain member may not open the team view', async () => {
    const page = await (await ann.client.get(`/ui/usage?view=team-${redId}&range=24h`)).text();
    expect(page).toContain('Usage · Team red');
    expect(card(page, 'Requests')).toBe('1');
    expect(page).toContain(`<option value="team-${redId}" selected>Team red</option>`);
    // the end user's id is shown as text, never markup or a link
    expect(page).toContain('=HYPERLINK(&quot;http://evil.example&quot;,&quot;x&quot;)');
    const refused = await bob.client.get(`/ui/usage?view=team-${redId}`);
    expect(refused.status).toBe(404);
    expect(await refused.text()).not.toContain('Team red');
    expect((await bob.client.get('/ui/usage')).status).toBe(200);
  });

  test('an org admin sees the org by team, person and key; another org is 404; only admins see the whole gateway', async () => {
    const orgA = (await gw.directory.orgByName('org-a'))!;
    const orgB = (await gw.directory.orgByName('org-b'))!;
    const page = await (await boss.client.get(`/ui/usage?view=org-${orgA.id}&range=7d`)).text();
    expect(card(page, 'Requests')).toBe('4'); // ann 2, bot 1, bob 1 — not zed's
    expect(page).toContain('<h2 id="by-team">By team</h2>');
    expect(page).toMatch(/<th scope="row">red<\/th><td>1<\/td>/);
    expect(page).toMatch(/<th scope="row">Personal keys \(no team\)<\/th><td>3<\/td>/);
    // by person: personal keys only (the bot's call is the team's, not its creator ann's)
    expect(page).toMatch(/<th scope="row">ann@a\.example<\/th><td>2<\/td>/);
    expect(page).toMatch(/<th scope="row">bob@a\.example<\/th><td>1<\/td>/);
    // a key named with markup is text
    expect(page).toContain('&lt;b&gt;ann laptop&lt;/b&gt;');
    expect(page).not.toContain('<b>ann laptop</b>');
    expect(page).not.toContain('<option value="all"');

    expect((await boss.client.get(`/ui/usage?view=org-${orgB.id}`)).status).toBe(404);
    expect((await boss.client.get('/ui/usage?view=all')).status).toBe(404);
    expect((await zed.client.get(`/ui/usage?view=org-${orgA.id}`)).status).toBe(404);
    expect((await bob.client.get(`/ui/usage?view=org-${orgA.id}`)).status).toBe(404);
    expect((await bob.client.get('/ui/usage?view=nonsense')).status).toBe(404);

    const all = await (await admin.client.get('/ui/usage?view=all&range=30d')).text();
    expect(card(all, 'Requests')).toBe('5');
    expect(all).toContain('<h2 id="by-org">By org</h2>');
    expect(all).toMatch(/<th scope="row">org-b<\/th><td>1<\/td>/);
    expect(all).toContain('Requests/s (average per day)'); // the gateway view charts rates
    expect(all).toContain('Tokens/min (average per day)');
  });

  test('MCP calls are their own view; an empty range says so', async () => {
    const page = await (await ann.client.get('/ui/usage?calls=mcp&range=1h')).text();
    expect(card(page, 'Requests')).toBe('0');
    expect(page).toContain('No MCP calls in this range.');
    expect(page).toContain('<h2 id="by-mcp_server">By MCP server</h2>');
  });

  test('CSV: the series and every breakdown row, formulas defused, only within reach', async () => {
    const orgA = (await gw.directory.orgByName('org-a'))!;
    const res = await boss.client.get(`/ui/usage.csv?view=org-${orgA.id}&range=24h&table=user_id`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(res.headers.get('content-disposition')).toBe(`attachment; filename="aqueduct-usage-org-${orgA.id}-24h-user_id.csv"`);
    const lines = (await res.text()).trim().split('\r\n');
    expect(lines[0]).toBe('user_id,name,requests,failures,input_tokens,output_tokens,avg_latency_ms');
    // a field a spreadsheet would run starts with an apostrophe; quotes doubled
    expect(lines[1]).toStartWith(`"'=HYPERLINK(""http://evil.example"",""x"")","'=HYPERLINK(""http://evil.example"",""x"")",1,0,4,4,`);

    const series = (await (await bob.client.get('/ui/usage.csv?range=1h&table=series')).text()).trim().split('\r\n');
    expect(series[0]).toBe('bucket_start_utc,requests,failures,input_tokens,output_tokens,avg_latency_ms,p50_latency_ms,p95_latency_ms');
    expect(series.slice(1).reduce((a, l) => a + Number(l.split(',')[1]), 0)).toBe(2);

    expect((await bob.client.get(`/ui/usage.csv?view=org-${orgA.id}&table=model`)).status).toBe(404);
    expect((await bob.client.get('/ui/usage.csv?table=org')).status).toBe(404); // not a breakdown of this view
    expect((await bob.client.get('/ui/usage.csv?table=../../etc')).status).toBe(404);
    expect((await new ConsoleClient(gw).get('/ui/usage.csv')).status).toBe(303); // signed out: to the sign-in page
  });
});

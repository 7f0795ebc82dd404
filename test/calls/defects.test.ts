/**
 * The holes the copies of the model-call path opened, each reproduced through the official openai SDK:
 * fallbacks serving excluded models, batch lines forwarding user_id, service-account usage in the wrong
 * org, deep JSON taken for an upstream failure, speech that never times out, and upstream error text
 * (credentials, internal hosts) reaching the caller.
 */
import { afterAll, beforeEach, describe, expect, test } from 'bun:test';
import OpenAI, { toFile } from 'openai';
import { relayFixture } from '../support/relay-fixture';

const f = relayFixture(
  `
model_list:
  - model_name: m1
    litellm_params: { model: openai/up-m1, api_base: "{{base:m1}}", api_key: os.environ/UPSTREAM_KEY }
    model_info: { mode: chat }
  - model_name: m2
    litellm_params: { model: openai/up-m2, api_base: "{{base:m2}}", api_key: os.environ/UPSTREAM_KEY }
    model_info: { mode: chat }
  - model_name: tts
    litellm_params: { model: openai/up-tts, api_base: "{{base:tts}}", timeout: 1 }
    model_info: { mode: audio_speech }
  - model_name: nowhere
    litellm_params: { model: openai/x, api_base: "http://internal-gpu-7.corp.invalid:8000/v1" }
    model_info: { mode: chat }
num_retries: 0
fallbacks: [{m1: [m2]}]
`,
);
// m2 is excluded for the default org (where newKey's users are); a user who does not merge the org's list may use it.
await f.gw.directory.updateOrg(await f.gw.directory.defaultOrgId(), { excludedModels: ['m2'] });
f.gw.keys.reload();
afterAll(() => f.close());
beforeEach(() => f.reset());

const say = (content: string) => [{ role: 'user' as const, content }];

describe('routing considers only what the caller may use', () => {
  test('a fallback to an excluded model is never tried: the caller gets the failure, not an answer from m2', async () => {
    const key = f.gw.newKey();
    const direct = await f.client({ key }).chat.completions.create({ model: 'm2', messages: say('hi') }).catch((e) => e);
    expect(direct).toBeInstanceOf(OpenAI.NotFoundError);
    f.mock.script('m1', { status: 500 });
    const err = await f.client({ key }).chat.completions.create({ model: 'm1', messages: say('hi') }).catch((e) => e);
    expect(err).toBeInstanceOf(OpenAI.InternalServerError);
    expect(err.status).toBe(502);
    expect(f.mock.requestsTo('m2')).toHaveLength(0);
  });

  test('the fallback works for a caller who may use it (the exclusion is what stopped it)', async () => {
    const email = `free-${Date.now()}@example.com`;
    const key = f.gw.newKey(email);
    // This user does not merge the org's exclusions (the global ones would bind them all the same).
    await f.gw.directory.updateUser((await f.gw.directory.userByEmail(email))!.id, { mergeModelExclusions: false } as never);
    f.gw.keys.reload();
    f.mock.script('m1', { status: 500 });
    const answer = await f.client({ key }).chat.completions.create({ model: 'm1', messages: say('hi') });
    expect(answer.choices[0]!.message.content).toBe('echo: hi');
    expect(f.mock.requestsTo('m2')).toHaveLength(1);
  });
});

describe('batch lines are prepared like live calls', () => {
  test('user_id is removed before the line goes upstream and recorded with its usage', async () => {
    const client = f.client();
    const lines = [0, 1].map((i) => ({ custom_id: `u${i}`, method: 'POST', url: '/v1/chat/completions', body: { model: 'm1', user_id: 'alice@example.com', messages: say(`line ${i}`) } }));
    const file = await client.files.create({ file: await toFile(Buffer.from(lines.map((l) => JSON.stringify(l)).join('\n')), 'in.jsonl'), purpose: 'batch' });
    let batch = await client.batches.create({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' });
    for (let i = 0; i < 200 && batch.status !== 'completed'; i++) {
      await Bun.sleep(25);
      batch = await client.batches.retrieve(batch.id);
    }
    expect(batch.status).toBe('completed');
    const sent = f.mock.requestsTo('m1');
    expect(sent).toHaveLength(2);
    for (const r of sent) expect(Object.keys(r.body)).not.toContain('user_id');
    const rows = f.gw.usageRows().filter((r) => r.batch_id === batch.id);
    expect(rows.map((r) => r.end_user_id)).toEqual(['alice@example.com', 'alice@example.com']);
  });
});

describe("a service account's usage belongs to its team's org", () => {
  test('recorded under the team org (not its creator\'s), and in that org admin\'s report', async () => {
    const dir = f.gw.directory;
    const orgB = await dir.createOrg(`org-b-${Date.now()}`);
    const team = await dir.createTeam(orgB.id, 'builders');
    const creator = (await dir.userByEmail('admin@example.com'))!; // an admin of the default org
    const sa = await dir.createServiceAccount(team.id, 'ci', '', creator.id);
    const orgAdmin = f.gw.newKey(`boss-${Date.now()}@example.com`);
    await dir.updateUser((await dir.userByEmail((await f.gw.keys.authenticate(orgAdmin))!.email))!.id, { role: 'org-admin' });
    f.gw.db.sqlite.run('UPDATE users SET org_id = ? WHERE id = ?', [orgB.id, (await f.gw.keys.authenticate(orgAdmin))!.userId]);
    f.gw.keys.reload();
    await f.client({ key: sa.key }).chat.completions.create({ model: 'm1', messages: say('from the service account') });
    const rows = f.gw.usageRows();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ org_id: orgB.id, team_id: team.id, key_id: sa.keyId });
    const report = (await (await f.gw.request('GET', '/admin/usage?group_by=team', { key: orgAdmin })).json()) as any;
    expect(report.data).toMatchObject([{ group: team.id, requests: 1 }]);
  });
});

describe('bad request bodies are the caller\'s problem, never the upstream\'s', () => {
  const nested = (depth: number) => `{"model":"m1","messages":[{"role":"user","content":"hi","x":${'['.repeat(depth)}${']'.repeat(depth)}}]}`;

  const failuresCounted = async () => {
    const text = await (await f.gw.request('GET', '/metrics')).text();
    return [...text.matchAll(/^aqueduct_upstream_failures_total\{[^}]*\} (\d+)$/gm)].reduce((n, m) => n + Number(m[1]), 0);
  };

  test('a body nested 100,000 levels → 400 at once; nothing sent, no deployment blamed or cooled down', async () => {
    const failuresBefore = await failuresCounted();
    const res = await fetch(`${f.url}/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${f.gw.adminKey}`, 'content-type': 'application/json' }, body: nested(100_000) });
    expect(res.status).toBe(400);
    expect(((await res.json()) as any).error).toMatchObject({ code: 'json_too_deep', type: 'invalid_request_error' });
    expect(f.mock.received).toHaveLength(0);
    expect(await failuresCounted()).toBe(failuresBefore);
    // The deployment is healthy: the next call goes through at once.
    expect((await f.client().chat.completions.create({ model: 'm1', messages: say('after') })).choices[0]!.message.content).toBe('echo: after');
  });

  test('nesting within the limit (real tool schemas) is fine; the MCP proxy and batch files refuse too-deep JSON as 400', async () => {
    const ok = await fetch(`${f.url}/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${f.gw.adminKey}`, 'content-type': 'application/json' }, body: nested(100) });
    expect(ok.status).toBe(200);
    const mcp = await fetch(`${f.url}/mcp-servers/any/mcp`, { method: 'POST', headers: { authorization: `Bearer ${f.gw.adminKey}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' }, body: `{"jsonrpc":"2.0","id":1,"method":"x","params":${'['.repeat(50_000)}${']'.repeat(50_000)}}` });
    expect(mcp.status).toBe(400);
    const line = `{"custom_id":"a","method":"POST","url":"/v1/chat/completions","body":{"model":"m1","messages":${'['.repeat(200)}${']'.repeat(200)}}}`;
    const upload = await f.client().files.create({ file: await toFile(Buffer.from(line), 'deep.jsonl'), purpose: 'batch' }).catch((e) => e);
    expect(upload).toBeInstanceOf(OpenAI.BadRequestError);
    expect(upload.message).toContain('line 1: the JSON nests deeper than 128 levels');
  });
});

describe('every relayed body has an idle timeout', () => {
  test('speech that stalls mid-stream is cut after the deployment timeout, the upstream call cancelled, usage recorded as 504', async () => {
    f.mock.script('tts', { stallAfterChunks: { chunks: 2, ms: 5000 } });
    const res = await f.client().audio.speech.create({ model: 'tts', input: 'hello', voice: 'alloy' });
    // Without the idle timeout the body would complete after the 5 s silence; with it, reading fails.
    const err = await res.arrayBuffer().catch((e) => e);
    expect(err).toBeInstanceOf(Error);
    let rows: Record<string, any>[] = [];
    for (let i = 0; i < 100 && rows.length === 0; i++) {
      await Bun.sleep(20);
      rows = f.gw.usageRows();
    }
    expect(rows).toMatchObject([{ model: 'tts', status: 504, error_code: 'upstream_timeout' }]);
    expect(f.mock.requestsTo('tts')[0]!.abortedAt).toBeNumber();
  });
});

describe('upstream errors are sanitized', () => {
  test("a 4xx echoing the deployment's key passes on with the key redacted", async () => {
    f.mock.script('m1', { status: 401, errorBody: JSON.stringify({ error: { message: 'Incorrect API key provided: Bearer sk-upstream-secret. Check it.', type: 'invalid_request_error', code: 'invalid_api_key' } }) });
    const err = await f.client().chat.completions.create({ model: 'm1', messages: say('hi') }).catch((e) => e);
    expect(err.status).toBe(401);
    expect(err.message).toContain('Incorrect API key provided: Bearer [redacted]. Check it.');
    expect(err.message).not.toContain('sk-upstream-secret');
  });

  test('a 5xx HTML page and a DNS failure give the gateway\'s own message with the model and request id', async () => {
    f.mock.script('m1', { status: 503, errorBody: '<html><body>502 Bad Gateway from lb-internal-3.corp.example (10.1.2.3)</body></html>' });
    const res = await f.gw.request('POST', '/v1/chat/completions', { body: { model: 'm1', messages: say('hi') } });
    const error = ((await res.json()) as any).error;
    expect(res.status).toBe(502);
    expect(error.message).toBe(`The upstream for model m1 failed (503) (request ${res.headers.get('x-request-id')}).`);
    const dns = await f.gw.request('POST', '/v1/chat/completions', { body: { model: 'nowhere', messages: say('hi') } });
    const dnsError = ((await dns.json()) as any).error;
    expect(dns.status).toBe(503);
    expect(dnsError.message).toBe(`Could not reach any deployment of model nowhere (request ${dns.headers.get('x-request-id')}).`);
    expect(JSON.stringify(dnsError)).not.toContain('internal-gpu-7');
  });
});

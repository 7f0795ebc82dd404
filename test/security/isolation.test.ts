/**
 * Isolation, as a generated matrix: every owner-scoped resource × action × a caller who is not the owner
 * (another user of the same org, a user of another org, a service account of another team) → 404, the same
 * as a missing id; the owner's own key once expired or revoked → 401. Never any data.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { toFile } from 'openai';
import { parseMcpConfig } from '../../src/config/mcp-config';
import { MockUpstream } from '../support/mock-upstream';
import { testGateway, type TestGateway } from '../support/app';
import OpenAI from 'openai';

const mock = new MockUpstream(false).start();
mock.profiles.set('slow', { latencyMs: 5000, chunkDelayMs: 0, extraWords: 0 });
const mcpUpstream = Bun.serve({
  hostname: '127.0.0.1',
  port: 0,
  async fetch(req) {
    const msg = (await req.json().catch(() => ({}))) as { id?: number };
    return Response.json({ jsonrpc: '2.0', id: msg.id ?? null, result: { secret: 'owner-data' } }, { headers: { 'mcp-session-id': 'up-1' } });
  },
});
let gw: TestGateway;
let url: string;
const ids: Record<string, string> = {};
const keys: Record<string, string> = {};

beforeAll(async () => {
  gw = testGateway({
    routerYaml:
      `model_list:\n  - { model_name: slow, litellm_params: { model: openai/s, api_base: "${mock.base('slow')}" }, model_info: { mode: chat } }\n` +
      `  - { model_name: fast, litellm_params: { model: openai/f, api_base: "${mock.base()}" }, model_info: { mode: chat } }\n`,
    mcp: parseMcpConfig(JSON.stringify({ mcpServers: { rec: { url: `http://127.0.0.1:${mcpUpstream.port}/mcp` } } }), {}).config,
  });
  url = gw.listen();
  const dir = gw.directory;
  const orgA = await dir.createOrg('iso-a');
  const orgB = await dir.createOrg('iso-b');
  ids.orgB = String(orgB.id);
  const owner = await dir.createUser('owner@a.example', orgA.id);
  const teamA = await dir.createTeam(orgA.id, 'team-a');
  const teamOther = await dir.createTeam(orgA.id, 'team-other');
  await dir.setMember(teamA.id, owner.id, true);
  keys.owner = (await dir.tokens.createKey(owner.id, 'owner')).key;
  const expiring = await dir.tokens.createKey(owner.id, 'expiring', Date.now() + 60_000);
  keys.expired = expiring.key;
  const revoking = await dir.tokens.createKey(owner.id, 'revoking');
  keys.revoked = revoking.key;
  keys.sameOrgUser = (await dir.tokens.createKey((await dir.createUser('peer@a.example', orgA.id)).id)).key;
  keys.otherOrgUser = (await dir.tokens.createKey((await dir.createUser('stranger@b.example', orgB.id)).id)).key;
  keys.otherTeamServiceAccount = (await dir.createServiceAccount(teamOther.id, 'bot', '', owner.id)).key;
  gw.keys.reload();

  const client = new OpenAI({ apiKey: keys.owner, baseURL: `${url}/v1`, maxRetries: 0 });
  const file = await client.files.create({ file: await toFile(Buffer.from(JSON.stringify({ custom_id: 'a', method: 'POST', url: '/v1/chat/completions', body: { model: 'slow', messages: [{ role: 'user', content: 'owner secret' }] } })), 'o.jsonl'), purpose: 'batch' });
  ids.file = file.id;
  ids.batch = (await client.batches.create({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' })).id;
  ids.response = (await client.responses.create({ model: 'fast', input: 'owner secret' })).id;
  const init = await fetch(`${url}/mcp-servers/rec/mcp`, {
    method: 'POST',
    headers: { authorization: `Bearer ${keys.owner}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: {} }),
  });
  ids.mcpSession = init.headers.get('mcp-session-id')!;
  await init.text();
  ids.ownerUser = String(owner.id);
  ids.ownerKey = String((await dir.tokens.listKeys({ userId: owner.id }))[0]!.id);
  // Now the owner's extra keys become expired and revoked.
  gw.db.sqlite.run('UPDATE api_keys SET expires_at = ? WHERE id = ?', [Date.now() - 1, expiring.id]);
  await dir.tokens.revokeKey(revoking.id);
  gw.keys.reload();
}, 30_000);

afterAll(async () => {
  gw.close();
  mcpUpstream.stop(true);
  await mock.stop();
});

const ACTIONS: { name: string; method: string; path: () => string; body?: () => unknown; headers?: () => Record<string, string> }[] = [
  { name: 'retrieve file', method: 'GET', path: () => `/v1/files/${ids.file}` },
  { name: 'download file', method: 'GET', path: () => `/v1/files/${ids.file}/content` },
  { name: 'delete file', method: 'DELETE', path: () => `/v1/files/${ids.file}` },
  { name: 'batch from the file', method: 'POST', path: () => '/v1/batches', body: () => ({ input_file_id: ids.file, endpoint: '/v1/chat/completions', completion_window: '24h' }) },
  { name: 'retrieve batch', method: 'GET', path: () => `/v1/batches/${ids.batch}` },
  { name: 'cancel batch', method: 'POST', path: () => `/v1/batches/${ids.batch}/cancel` },
  { name: 'retrieve response', method: 'GET', path: () => `/v1/responses/${ids.response}` },
  { name: 'list input items', method: 'GET', path: () => `/v1/responses/${ids.response}/input_items` },
  { name: 'delete response', method: 'DELETE', path: () => `/v1/responses/${ids.response}` },
  { name: 'continue response', method: 'POST', path: () => '/v1/responses', body: () => ({ model: 'fast', input: 'and?', previous_response_id: ids.response }) },
  {
    name: 'use MCP session',
    method: 'POST',
    path: () => '/mcp-servers/rec/mcp',
    body: () => ({ jsonrpc: '2.0', id: 2, method: 'ping' }),
    headers: () => ({ 'mcp-session-id': ids.mcpSession!, accept: 'application/json, text/event-stream', host: 'localhost:1' }),
  },
  { name: 'open MCP stream', method: 'GET', path: () => '/mcp-servers/rec/mcp', headers: () => ({ 'mcp-session-id': ids.mcpSession!, accept: 'text/event-stream', host: 'localhost:1' }) },
  { name: 'end MCP session', method: 'DELETE', path: () => '/mcp-servers/rec/mcp', headers: () => ({ 'mcp-session-id': ids.mcpSession!, host: 'localhost:1' }) },
  { name: "owner's user", method: 'GET', path: () => `/admin/users/${ids.ownerUser}` },
  { name: "owner's keys", method: 'GET', path: () => `/admin/keys?user_id=${ids.ownerUser}` },
  { name: "revoke owner's key", method: 'DELETE', path: () => `/admin/keys/${ids.ownerKey}` },
];
const CALLERS = ['sameOrgUser', 'otherOrgUser', 'otherTeamServiceAccount', 'expired', 'revoked'] as const;

describe('isolation', () => {
  const cases = ACTIONS.flatMap((a) => CALLERS.map((c) => [`${a.name} by ${c}`, a, c] as const));
  test.each(cases)('%s', async (_n, action, caller) => {
    const res = await gw.request(action.method, action.path(), { key: keys[caller], body: action.body?.(), headers: action.headers?.() });
    const text = await res.text();
    expect(res.status).toBe(caller === 'expired' || caller === 'revoked' ? 401 : 404);
    expect(text).not.toContain('owner secret');
    expect(text).not.toContain('owner-data');
    expect(text).not.toContain('owner@a.example');
  });

  test('lists and usage reports of the other callers contain nothing of the owner', async () => {
    for (const caller of ['sameOrgUser', 'otherOrgUser', 'otherTeamServiceAccount'] as const) {
      for (const path of ['/v1/files', '/v1/batches', '/admin/usage?group_by=key', '/admin/users', '/admin/teams']) {
        const res = await gw.request('GET', path, { key: keys[caller] });
        expect(res.status).toBe(200);
        const text = await res.text();
        for (const secret of [ids.file!, ids.batch!, 'owner@a.example', 'owner secret', 'team-a']) expect(text).not.toContain(secret);
      }
    }
  });

  test("a call labelled with the owner's email (user_id) stays in the caller's report, not the owner's", async () => {
    const planted = await gw.request('POST', '/v1/chat/completions', { key: keys.otherOrgUser, body: { model: 'fast', messages: [{ role: 'user', content: 'planted' }], user_id: 'owner@a.example' } });
    expect(planted.status).toBe(200);
    await planted.text();
    gw.usage.flush();
    const ownerReport = async (group: string) => ((await (await gw.request('GET', `/admin/usage?since=1h&group_by=${group}`, { key: keys.owner })).json()) as { data: { group: unknown; label: string | null }[] }).data;
    expect((await ownerReport('user')).map((r) => r.label)).not.toContain('stranger@b.example');
    expect((await ownerReport('org')).map((r) => r.group)).not.toContain(ids.orgB ? Number(ids.orgB) : -1);
    expect((await ownerReport('user_id')).map((r) => r.group)).not.toContain('owner@a.example');
    // The caller still sees the call, labelled as sent.
    const strangerReport = (await (await gw.request('GET', '/admin/usage?since=1h&group_by=user_id', { key: keys.otherOrgUser })).json()) as { data: { group: unknown; requests: number }[] };
    expect(strangerReport.data.find((r) => r.group === 'owner@a.example')?.requests).toBe(1);
  });

  test('the owner still sees everything (the matrix did not just break the resources)', async () => {
    for (const path of [`/v1/files/${ids.file}`, `/v1/batches/${ids.batch}`, `/v1/responses/${ids.response}`]) expect((await gw.request('GET', path, { key: keys.owner })).status).toBe(200);
    const mcp = await gw.request('POST', '/mcp-servers/rec/mcp', { key: keys.owner, body: { jsonrpc: '2.0', id: 3, method: 'ping' }, headers: { 'mcp-session-id': ids.mcpSession!, accept: 'application/json, text/event-stream', host: 'localhost:1' } });
    expect(mcp.status).toBe(200);
  });
});

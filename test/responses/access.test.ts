/**
 * /v1/responses under the same rules as chat: owners (another user's or team's response is a 404, also as
 * previous_response_id), exclusions, rate limits (requests and tokens), usage rows, client disconnects;
 * and the rules for `mcp` tools.
 */
import { afterAll, beforeEach, describe, expect, test } from 'bun:test';
import OpenAI from 'openai';
import type { McpConfig, McpServer } from '../../src/config/mcp-config';
import { relayFixture } from '../support/relay-fixture';
import { RESPONSES_MODELS, statusOf } from '../support/responses';

const mcp: McpConfig = {
  servers: new Map<string, McpServer>([
    ['everything', { name: 'everything', url: 'http://127.0.0.1:3001/mcp', tags: [], headers: { 'x-api-key': 'mcp-secret' } }],
    ['private', { name: 'private', url: 'http://127.0.0.1:3002/mcp', tags: [], headers: {} }],
  ]),
};
const f = relayFixture(RESPONSES_MODELS, { mcp });
afterAll(() => f.close());
beforeEach(() => f.reset());

const dir = f.gw.directory;
async function freshUser(patch: Parameters<typeof dir.updateUser>[1] = {}) {
  const user = await dir.createUser(`r${Math.random().toString(36).slice(2)}@example.com`, await dir.defaultOrgId());
  await dir.updateUser(user.id, patch);
  const { key } = await dir.tokens.createKey(user.id);
  f.gw.keys.reload();
  return { key, user };
}

for (const model of ['native-model', 'chat-only']) {
  describe(`owners (${model})`, () => {
    test("another user's or a team's key gets 404 for retrieve, delete, input_items and as previous_response_id; the owner's other keys see it", async () => {
      const owner = await freshUser();
      const r = await f.client({ key: owner.key }).responses.create({ model, input: 'mine' });
      const other = (await freshUser()).key;
      const team = await dir.createTeam(await dir.defaultOrgId(), `t-${Math.random()}`);
      const sa = (await dir.createServiceAccount(team.id, 'bot', '', owner.user.id)).key;
      f.gw.keys.reload();
      for (const key of [other, sa]) {
        const c = f.client({ key });
        expect(await statusOf(c.responses.retrieve(r.id))).toBe(404);
        expect(await statusOf(c.responses.inputItems.list(r.id))).toBe(404);
        expect(await statusOf(c.responses.delete(r.id))).toBe(404);
        const chained = await c.responses.create({ model, input: 'x', previous_response_id: r.id }).catch((e) => e);
        expect(chained).toBeInstanceOf(OpenAI.NotFoundError);
        expect(chained.param).toBe('previous_response_id');
      }
      // Still there for its owner, also through a second key of the same user.
      const second = (await dir.tokens.createKey(owner.user.id)).key;
      f.gw.keys.reload();
      expect((await f.client({ key: second }).responses.retrieve(r.id)).output_text).toBe('echo: mine');
      // The service account's own responses belong to its team.
      const teamResponse = await f.client({ key: sa }).responses.create({ model, input: 'team' });
      expect(await statusOf(f.client({ key: owner.key }).responses.retrieve(teamResponse.id))).toBe(404);
      expect(await statusOf(f.client({ key: sa }).responses.retrieve(teamResponse.id))).toBe(200);
    });
  });
}

describe('the chat rules apply', () => {
  test('an excluded model answers exactly like an unknown one, and nothing goes upstream', async () => {
    const { key } = await freshUser({ excludedModels: ['chat-only', 'native-model'] });
    for (const model of ['chat-only', 'native-model']) {
      const res = await f.gw.request('POST', '/v1/responses', { key, body: { model, input: 'x' } });
      const unknown = await f.gw.request('POST', '/v1/responses', { key, body: { model: 'no-such-model', input: 'x' } });
      expect(res.status).toBe(404);
      const [a, b] = [(await res.json()) as any, (await unknown.json()) as any];
      expect(a.error.code).toBe('model_not_found');
      expect(a.error.message.replace(model, 'M')).toBe(b.error.message.replace('no-such-model', 'M'));
    }
    expect(f.mock.received).toHaveLength(0);
  });

  test('rate limits: requests per minute → 429 with Retry-After; output tokens count (reasoning included)', async () => {
    const { key } = await freshUser({ rpm: 2 });
    const codes: number[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await f.gw.request('POST', '/v1/responses', { key, body: { model: 'native-model', input: 'x' } });
      codes.push(res.status);
      if (res.status === 429) expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
      await res.arrayBuffer();
    }
    expect(codes).toEqual([200, 200, 429]);
    // The native mock counts 2 reasoning tokens in output_tokens: a 3-token budget is gone after one call.
    const limited = (await freshUser({ otpm: 3 })).key;
    expect((await f.gw.request('POST', '/v1/responses', { key: limited, body: { model: 'native-model', input: 'x' } })).status).toBe(200);
    const refused = await f.gw.request('POST', '/v1/responses', { key: limited, body: { model: 'native-model', input: 'x' } });
    expect(refused.status).toBe(429);
    expect(((await refused.json()) as any).error.type).toBe('rate_limit_error');
  });

  test('user_id is recorded with the usage and not forwarded', async () => {
    await f.gw.request('POST', '/v1/responses', { body: { model: 'native-model', input: 'x', user_id: 'end-user-7' } });
    expect(f.gw.usageRows()[0]).toMatchObject({ endpoint: 'responses', end_user_id: 'end-user-7', status: 200 });
    expect(f.mock.received[0]!.body.user_id).toBeUndefined();
  });

  test('an upstream failure is an OpenAI-shaped error and a usage row', async () => {
    f.mock.script('native', { status: 400 });
    const err = await f
      .client()
      .responses.create({ model: 'native-model', input: 'x' })
      .catch((e) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect(f.gw.usageRows()[0]).toMatchObject({ endpoint: 'responses', status: 400 });
  });

  for (const [model, deployment] of [
    ['native-model', 'native'],
    ['chat-only', 'chatonly'],
  ]) {
    test(`a client that disconnects mid-stream cancels the upstream call (${model})`, async () => {
      f.mock.extraWords = 200;
      f.mock.script(deployment!, { chunkDelayMs: 30 });
      const controller = new AbortController();
      const input = Array.from({ length: 100 }, (_, i) => `w${i}`).join(' ');
      const stream = await f.client().responses.create({ model: model!, input, stream: true }, { signal: controller.signal });
      let n = 0;
      await (async () => {
        for await (const _ of stream) if (++n === 4) controller.abort();
      })().catch(() => {});
      for (let i = 0; i < 200 && f.mock.requestsTo(deployment!)[0]!.abortedAt === undefined; i++) await Bun.sleep(10);
      expect(f.mock.requestsTo(deployment!)[0]!.abortedAt).toBeNumber();
      for (let i = 0; i < 50 && f.gw.usageRows().length === 0; i++) await Bun.sleep(10);
      expect(f.gw.usageRows()[0]).toMatchObject({ endpoint: 'responses', status: 499, error_code: 'client_closed' });
    });
  }
});

describe('mcp tools (native)', () => {
  const create = (tool: Record<string, unknown>, key?: string) => f.client({ key }).responses.create({ model: 'native-model', input: 'use the tool', tools: [tool as unknown as OpenAI.Responses.Tool] });

  test("a server_url of this gateway's /mcp-servers/{name}/mcp becomes that server's URL and headers", async () => {
    await create({ type: 'mcp', server_label: 'ev', server_url: `${f.url}/mcp-servers/everything/mcp`, require_approval: 'never' });
    expect(f.mock.received[0]!.body.tools).toEqual([{ type: 'mcp', server_label: 'ev', server_url: 'http://127.0.0.1:3001/mcp', require_approval: 'never', headers: { 'x-api-key': 'mcp-secret' } }]);
  });

  test('an excluded or unknown server is 404; an outside URL is 400; nothing goes upstream', async () => {
    const { key } = await freshUser({ excludedMcpServers: ['private'] });
    for (const [url, status] of [
      [`${f.url}/mcp-servers/private/mcp`, 404],
      [`${f.url}/mcp-servers/nope/mcp`, 404],
      ['https://mcp.example.org/mcp', 400],
      ['http://127.0.0.1:3001/mcp', 400],
    ] as const) {
      const err = await create({ type: 'mcp', server_label: 'x', server_url: url }, key).catch((e) => e);
      expect(err.status).toBe(status);
      expect(err.param).toBe('tools[0].server_url');
    }
    // The label does not matter: the URL decides (a harmless label cannot smuggle in an excluded server).
    expect((await create({ type: 'mcp', server_label: 'everything', server_url: `${f.url}/mcp-servers/private/mcp` }, key).catch((e) => e)).status).toBe(404);
    expect(f.mock.received).toHaveLength(0);
  });

  test('through translation an mcp tool is a 400 that names it', async () => {
    const err = await f
      .client()
      .responses.create({ model: 'chat-only', input: 'x', tools: [{ type: 'mcp', server_label: 'ev', server_url: `${f.url}/mcp-servers/everything/mcp` }] })
      .catch((e) => e);
    expect(err.status).toBe(400);
    expect(err.message).toContain('"mcp"');
  });
});

describe('AQUEDUCT_RESPONSES_ALLOW_EXTERNAL_MCP', () => {
  const open = relayFixture(RESPONSES_MODELS, { mcp, settings: { responsesAllowExternalMcp: true } });
  afterAll(() => open.close());

  test('on: an outside server_url passes as it is', async () => {
    await open.client().responses.create({ model: 'native-model', input: 'x', tools: [{ type: 'mcp', server_label: 'ext', server_url: 'https://mcp.example.org/mcp' }] });
    expect(open.mock.received[0]!.body.tools[0].server_url).toBe('https://mcp.example.org/mcp');
  });
});

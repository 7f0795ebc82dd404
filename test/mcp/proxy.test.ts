/** The MCP proxy with the real server-everything upstream and the official MCP SDK client. */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ListRootsRequestSchema, LoggingMessageNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { testGateway, type TestGateway } from '../support/app';
import { startEverything, type EverythingServer } from '../support/mcp-everything';

let everything: EverythingServer;
let gw: TestGateway;
let url: string;

beforeAll(async () => {
  everything = await startEverything();
  gw = testGateway({
    mcp: {
      servers: new Map([
        ['everything', { name: 'everything', url: everything.url, description: 'demo', tags: ['test'], headers: {} }],
        ['hidden', { name: 'hidden', url: everything.url, tags: [], headers: {} }],
      ]),
    },
  });
  url = gw.listen();
}, 30_000);
afterAll(async () => {
  gw?.close();
  await everything?.stop();
});

async function connect(key = gw.adminKey, server = 'everything') {
  const client = new Client({ name: 'aqueduct-test', version: '1.0.0' });
  const transport = new StreamableHTTPClientTransport(new URL(`${url}/mcp-servers/${server}/mcp`), { requestInit: { headers: { authorization: `Bearer ${key}` } } });
  await client.connect(transport);
  return { client, transport };
}

describe('MCP proxy', () => {
  test('initialise, tools (echo), resources, prompts, ping, completions; the session id is the gateway’s own', async () => {
    const { client, transport } = await connect();
    expect(transport.sessionId).toMatch(/^mcp_[A-Za-z0-9]{32}$/);
    const tools = await client.listTools();
    expect(tools.tools.map((t) => t.name)).toContain('echo');
    const echoed = await client.callTool({ name: 'echo', arguments: { message: 'through the gateway' } });
    expect(JSON.stringify(echoed.content)).toContain('through the gateway');
    const resources = await client.listResources();
    expect(resources.resources.length).toBeGreaterThan(0);
    const read = await client.readResource({ uri: resources.resources[0]!.uri });
    expect(read.contents.length).toBeGreaterThan(0);
    const prompts = await client.listPrompts();
    expect(prompts.prompts.length).toBeGreaterThan(0);
    const prompt = await client.getPrompt({ name: prompts.prompts[0]!.name, arguments: {} }).catch(() => undefined);
    if (prompt) expect(prompt.messages.length).toBeGreaterThan(0);
    expect(await client.ping()).toEqual({});
    const completion = await client.complete({ ref: { type: 'ref/resource', uri: 'test://static/resource/{id}' }, argument: { name: 'id', value: '1' } });
    expect(completion.completion.values.length).toBeGreaterThan(0);
    await client.close();
  });

  test('a long-running tool streams progress notifications to its request', async () => {
    const { client } = await connect();
    const progress: number[] = [];
    const result = await client.callTool({ name: 'longRunningOperation', arguments: { duration: 0.3, steps: 3 } }, undefined, { onprogress: (p) => progress.push(p.progress) });
    expect(progress.length).toBeGreaterThanOrEqual(1);
    expect(JSON.stringify(result.content)).toContain('Long running operation completed');
    await client.close();
  });

  test('the GET stream relays server-initiated requests and log notifications (roots)', async () => {
    const client = new Client({ name: 'roots-client', version: '1.0.0' }, { capabilities: { roots: { listChanged: true } } });
    const logs: string[] = [];
    let rootsAsked = 0;
    client.setRequestHandler(ListRootsRequestSchema, async () => {
      rootsAsked++;
      return { roots: [{ uri: 'file:///workspace', name: 'workspace' }] };
    });
    client.setNotificationHandler(LoggingMessageNotificationSchema, async (n) => {
      logs.push(String(n.params.data));
    });
    const transport = new StreamableHTTPClientTransport(new URL(`${url}/mcp-servers/everything/mcp`), { requestInit: { headers: { authorization: `Bearer ${gw.adminKey}` } } });
    await client.connect(transport);
    // The server asks for roots right after initialisation, possibly before the client's GET stream is open
    // (the server then drops that request); once the stream is up, a list_changed makes it ask again.
    await Bun.sleep(300);
    await client.sendRootsListChanged();
    for (let i = 0; i < 100 && !logs.some((l) => l.includes('Roots updated')); i++) await Bun.sleep(30);
    expect(rootsAsked).toBeGreaterThanOrEqual(1);
    expect(logs.some((l) => l.includes('Roots updated: 1 root'))).toBe(true);
    await client.close();
  });

  test('two clients at once keep their own sessions and answers', async () => {
    const [a, b] = await Promise.all([connect(), connect()]);
    expect(a.transport.sessionId).not.toBe(b.transport.sessionId);
    const [ra, rb] = await Promise.all([
      a.client.callTool({ name: 'echo', arguments: { message: 'from A' } }),
      b.client.callTool({ name: 'echo', arguments: { message: 'from B' } }),
    ]);
    expect(JSON.stringify(ra.content)).toContain('from A');
    expect(JSON.stringify(rb.content)).toContain('from B');
    // Several requests in flight on one session each get their own answer.
    const many = await Promise.all(Array.from({ length: 5 }, (_, i) => a.client.callTool({ name: 'echo', arguments: { message: `m${i}` } })));
    many.forEach((r, i) => expect(JSON.stringify(r.content)).toContain(`m${i}`));
    await a.client.close();
    await b.client.close();
  });

  test("key B cannot use key A's session; a terminated session is gone", async () => {
    const { client, transport } = await connect();
    const other = gw.newKey('mcp-other@example.com');
    const init = { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-session-id': transport.sessionId!, 'mcp-protocol-version': '2025-06-18' };
    const ping = JSON.stringify({ jsonrpc: '2.0', id: 99, method: 'ping' });
    const stolen = await fetch(`${url}/mcp-servers/everything/mcp`, { method: 'POST', headers: { ...init, authorization: `Bearer ${other}` }, body: ping });
    expect(stolen.status).toBe(404);
    const own = await fetch(`${url}/mcp-servers/everything/mcp`, { method: 'POST', headers: { ...init, authorization: `Bearer ${gw.adminKey}` }, body: ping });
    expect(own.status).toBe(200);
    await own.text();
    await transport.terminateSession();
    const after = await fetch(`${url}/mcp-servers/everything/mcp`, { method: 'POST', headers: { ...init, authorization: `Bearer ${gw.adminKey}` }, body: ping });
    expect(after.status).toBe(404);
    const unknown = await fetch(`${url}/mcp-servers/everything/mcp`, { method: 'GET', headers: { accept: 'text/event-stream', 'mcp-session-id': 'mcp_nope', authorization: `Bearer ${gw.adminKey}` } });
    expect(unknown.status).toBe(404);
    await client.close().catch(() => {});
  });

  test('Host and Origin refusals, missing key, unknown and excluded servers', async () => {
    const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } } });
    const base = { 'content-type': 'application/json', accept: 'application/json, text/event-stream', authorization: `Bearer ${gw.adminKey}` };
    const post = (headers: Record<string, string>, server = 'everything') => gw.request('POST', `/mcp-servers/${server}/mcp`, { key: null, body, headers: { ...base, host: 'localhost:8000', ...headers } });
    expect((await post({ host: 'evil.example' })).status).toBe(421);
    expect((await post({ origin: 'https://evil.example' })).status).toBe(403);
    expect((await post({ origin: 'http://localhost:3000' })).status).toBe(200);
    expect((await post({ authorization: '' })).status).toBe(401);
    expect((await post({}, 'nope')).status).toBe(404);
    const user = await gw.directory.createUser(`mcp-excl-${Math.random()}@example.com`, await gw.directory.defaultOrgId());
    await gw.directory.updateUser(user.id, { excludedMcpServers: ['hidden'] });
    const key = (await gw.directory.tokens.createKey(user.id)).key;
    gw.keys.reload();
    expect((await post({ authorization: `Bearer ${key}` }, 'hidden')).status).toBe(404);
    const list = (await (await gw.request('GET', '/mcp-servers', { key, headers: { host: 'localhost:8000' } })).json()) as { data: { name: string; url: string }[] };
    expect(list.data.map((s) => s.name)).toEqual(['everything']);
    expect(list.data[0]!.url).toBe('http://localhost/mcp-servers/everything/mcp');
    expect((await gw.request('POST', '/mcp-servers/everything/mcp', { body: 'x', headers: { ...base, 'content-type': 'text/plain', host: 'localhost:1' } })).status).toBe(415);
    expect((await gw.request('PUT', '/mcp-servers/everything/mcp', { headers: { host: 'localhost:1' } })).status).toBe(405);
  });

  test('usage: one record per session start and per tools/call, with the server and tool', async () => {
    const key = gw.newKey(`mcp-usage-${Math.random()}@example.com`);
    const { client } = await connect(key);
    await client.callTool({ name: 'echo', arguments: { message: 'x' } });
    await client.callTool({ name: 'add', arguments: { a: 1, b: 2 } });
    await client.close();
    await Bun.sleep(50);
    const keyId = (await gw.keys.authenticate(key))!.keyId;
    const rows = gw.usageRows().filter((r) => r.key_id === keyId);
    expect(rows.map((r) => [r.endpoint, r.mcp_server, r.mcp_tool, r.status])).toEqual([
      ['mcp.initialize', 'everything', null, 200],
      ['mcp.tools/call', 'everything', 'echo', 200],
      ['mcp.tools/call', 'everything', 'add', 200],
    ]);
    // the key's own usage report: MCP calls by server and by tool; none in its model report
    const report = async (q: string) => ((await (await gw.request('GET', `/admin/usage?${q}`, { key })).json()) as { data: { group: unknown; calls: string; requests: number }[] }).data;
    expect((await report('group_by=mcp_server')).map((r) => [r.group, r.calls, r.requests])).toEqual([['everything', 'mcp', 3]]);
    expect((await report('group_by=mcp_tool')).map((r) => [r.group, r.requests])).toEqual([['everything/add', 1], ['everything/echo', 1]]);
    expect(await report('group_by=model')).toEqual([]);
  });
});

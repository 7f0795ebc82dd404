/** One key cannot open MCP sessions without bound: at the cap, initialize gets 429 in the JSON-RPC shape, also under concurrency. */
import { afterAll, beforeAll, expect, test } from 'bun:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { testGateway, type TestGateway } from '../support/app';
import { startEverything, type EverythingServer } from '../support/mcp-everything';

let everything: EverythingServer;
let gw: TestGateway;
let url: string;
beforeAll(async () => {
  everything = await startEverything();
  gw = testGateway({ settings: { mcpSessionsPerKey: 3 }, mcp: { servers: new Map([['everything', { name: 'everything', url: everything.url, tags: [], headers: {} }]]) } });
  url = gw.listen();
}, 30_000);
afterAll(async () => {
  gw?.close();
  await everything?.stop();
});

const initialize = (key: string, id: number) =>
  fetch(`${url}/mcp-servers/everything/mcp`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
    body: JSON.stringify({ jsonrpc: '2.0', id, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'flood', version: '1' } } }),
  });

test('ten concurrent initializes with a cap of 3: exactly 3 sessions, 7 refusals with 429 in the JSON-RPC shape', async () => {
  const key = gw.newKey();
  const answers = await Promise.all(Array.from({ length: 10 }, (_, i) => initialize(key, i)));
  const opened = answers.filter((r) => r.status === 200);
  const refused = answers.filter((r) => r.status === 429);
  expect(opened).toHaveLength(3);
  expect(refused).toHaveLength(7);
  for (const r of opened) expect(r.headers.get('mcp-session-id')).toMatch(/^mcp_/);
  const body = (await refused[0]!.json()) as any;
  expect(body).toMatchObject({ jsonrpc: '2.0', error: { code: -32000 } });
  expect(body.error.message).toContain('at most 3');
  expect(refused[0]!.headers.get('retry-after')).toBe('60');
  await Promise.all(opened.map((r) => r.arrayBuffer()));
});

test('the MCP SDK client sees the refusal; ending a session makes room; another key is not affected', async () => {
  const key = gw.newKey();
  const connect = async (k: string) => {
    const client = new Client({ name: 'cap', version: '1' });
    const transport = new StreamableHTTPClientTransport(new URL(`${url}/mcp-servers/everything/mcp`), { requestInit: { headers: { authorization: `Bearer ${k}` } } });
    await client.connect(transport);
    return { client, transport };
  };
  const open = [await connect(key), await connect(key), await connect(key)];
  expect(await connect(key).catch((e) => e)).toBeInstanceOf(Error);
  await (await connect(gw.newKey())).client.close();
  await open[0]!.transport.terminateSession();
  await open[0]!.client.close();
  const again = await connect(key);
  expect((await again.client.listTools()).tools.length).toBeGreaterThan(0);
});

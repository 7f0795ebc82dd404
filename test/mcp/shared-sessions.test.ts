/**
 * Two gateways ("nodes") sharing one database and one Redis, in front of the real MCP server
 * (server-everything), through the MCP SDK client: a session opened via A continues via B (list and call
 * tools; a GET reaches the server with the session), DELETE via B ends it for A, another key never finds it, the per-key cap holds
 * across both nodes under concurrent initializes; Redis stopped → 503 in the OpenAI shape
 * (mcp_sessions_unavailable); restarted → new sessions work, without restarting the gateways.
 */
import { afterAll, beforeAll, expect, test } from 'bun:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { expectOpenAIError, testGateway, type TestGateway } from '../support/app';
import { startEverything, type EverythingServer } from '../support/mcp-everything';
import { startRedis, type RedisService } from '../support/services/redis';

let everything: EverythingServer;
let redis: RedisService;
let dir: string;
let nodes: [TestGateway, TestGateway];
let urls: [string, string];
const lines: string[] = [];

beforeAll(async () => {
  [everything, redis] = await Promise.all([startEverything(), startRedis()]);
  dir = mkdtempSync(join(tmpdir(), 'aq-mcp-nodes-'));
  const mcp = { servers: new Map([['everything', { name: 'everything', url: everything.url, tags: [], headers: {} }]]) };
  const settings = { redisUrl: redis.url, redisTimeout: 200, mcpSessionsPerKey: 3 };
  const log = { debug() {}, info: (m: string) => lines.push(`info ${m}`), warn: (m: string) => lines.push(`warn ${m}`), error: (m: string) => lines.push(`error ${m}`) };
  nodes = [testGateway({ settings, mcp, dataDir: dir, log }), testGateway({ settings, mcp, dataDir: dir })];
  urls = [`${nodes[0].listen()}/mcp-servers/everything/mcp`, `${nodes[1].listen()}/mcp-servers/everything/mcp`];
}, 30_000);
afterAll(async () => {
  for (const n of nodes ?? []) n.close();
  await everything?.stop();
  await redis?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** A new key both nodes know (made on node 0, in the shared database). */
function newKey(): string {
  const key = nodes[0].newKey();
  for (const n of nodes) n.keys.reload();
  return key;
}

/** The SDK client on `url`; with `sessionId`, it continues that session (no initialize). */
async function connect(url: string, key: string, sessionId?: string) {
  const client = new Client({ name: 'nodes', version: '1' });
  const transport = new StreamableHTTPClientTransport(new URL(url), { sessionId, requestInit: { headers: { authorization: `Bearer ${key}` } } });
  await client.connect(transport);
  return { client, transport };
}

const raw = (url: string, key: string, method: 'POST' | 'GET' | 'DELETE', sessionId?: string, body?: unknown) =>
  fetch(url, {
    method,
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2025-06-18', ...(sessionId ? { 'mcp-session-id': sessionId } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
const initialize = (url: string, key: string, id = 1) => raw(url, key, 'POST', undefined, { jsonrpc: '2.0', id, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } });
/** initialize, then notifications/initialized (as a client does): the session's id, or the refusal. */
async function open(url: string, key: string): Promise<{ res: Response; id: string }> {
  const res = await initialize(url, key);
  await res.arrayBuffer();
  const id = res.headers.get('mcp-session-id') ?? '';
  if (res.status === 200) expect((await raw(url, key, 'POST', id, { jsonrpc: '2.0', method: 'notifications/initialized' })).status).toBe(202);
  return { res, id };
}
const listTools = (url: string, key: string, sessionId: string) => raw(url, key, 'POST', sessionId, { jsonrpc: '2.0', id: 2, method: 'tools/list' });

test('initialized via A, the session lists and calls tools via B, reaches its GET stream via B, and DELETE via B ends it for A', async () => {
  const key = newKey();
  const a = await connect(urls[0], key);
  const id = a.transport.sessionId!;
  expect(id).toMatch(/^mcp_/);
  const b = await connect(urls[1], key, id);
  expect(b.transport.sessionId).toBe(id);
  const tools = await b.client.listTools();
  expect(tools.tools.map((t) => t.name)).toContain('echo');
  const echoed = await b.client.callTool({ name: 'echo', arguments: { message: 'via B' } });
  expect(JSON.stringify(echoed.content)).toContain('via B');
  // The server allows one GET stream per session and A's client holds it: a second one via B reaches
  // the server with the right session and gets its own 409, relayed.
  const second = await raw(urls[1], key, 'GET', id);
  expect(second.status).toBe(409);
  await second.arrayBuffer();
  // A still serves it too.
  expect((await a.client.callTool({ name: 'echo', arguments: { message: 'via A' } })).content).toBeDefined();
  await b.transport.terminateSession();
  for (const url of urls) {
    const err = await expectOpenAIError(await listTools(url, key, id), 404);
    expect(err.code).toBe('mcp_session_not_found');
  }
  await a.client.close().catch(() => {});
  await b.client.close().catch(() => {});
});

test("another key presenting a session's id: not found on both nodes, and the session still works for its own key", async () => {
  const key = newKey();
  const { res: opened, id } = await open(urls[0], key);
  expect(opened.status).toBe(200);
  const other = newKey();
  for (const url of urls) {
    for (const method of ['POST', 'GET', 'DELETE'] as const) {
      const err = await expectOpenAIError(method === 'POST' ? await listTools(url, other, id) : await raw(url, other, method, id), 404);
      expect(err).toMatchObject({ code: 'mcp_session_not_found', message: 'Session not found: initialize a new one.' });
    }
  }
  const res = await listTools(urls[1], key, id);
  expect(res.status).toBe(200);
  expect(await res.text()).toContain('"echo"');

});

test('cap 3 across both nodes: 12 concurrent initializes alternating nodes open exactly 3 sessions, each usable on the other node', async () => {
  const key = newKey();
  const answers = await Promise.all(Array.from({ length: 12 }, (_, i) => initialize(urls[i % 2]!, key, i)));
  const opened = answers.map((r, i) => ({ r, i })).filter(({ r }) => r.status === 200);
  expect(opened).toHaveLength(3);
  expect(answers.filter((r) => r.status === 429)).toHaveLength(9);
  for (const { r, i } of opened) {
    await r.arrayBuffer();
    const res = await listTools(urls[(i + 1) % 2]!, key, r.headers.get('mcp-session-id')!);
    expect(res.status).toBe(200);
    await res.arrayBuffer();
  }
  for (const r of answers.filter((r) => r.status === 429)) expect(((await r.json()) as any).error.message).toContain('at most 3');
  // Ending one (via the other node) makes room on either.
  const first = opened[0]!;
  expect((await raw(urls[(first.i + 1) % 2]!, key, 'DELETE', first.r.headers.get('mcp-session-id')!)).status).toBe(200);
  const again = await initialize(urls[first.i % 2]!, key);
  expect(again.status).toBe(200);
  await again.arrayBuffer();
});

test('Redis stopped: messages with a session and initializes get 503 (mcp_sessions_unavailable) on both nodes; restarted: new sessions work', async () => {
  const key = newKey();
  const { id } = await open(urls[0], key);
  await redis.stop();
  for (const url of urls) {
    for (const res of [await listTools(url, key, id), await initialize(url, key), await raw(url, key, 'GET', id), await raw(url, key, 'DELETE', id)]) {
      const err = await expectOpenAIError(res, 503);
      expect(err).toMatchObject({ type: 'server_error', code: 'mcp_sessions_unavailable' });
      expect(res.headers.get('retry-after')).toBe('1');
    }
  }
  await redis.restart();
  // Each node reconnects by itself (at most once a second): no restart of the gateways.
  const until = async (url: string) => {
    for (const end = Date.now() + 8000; ; await Bun.sleep(100)) {
      const opened = await open(url, key);
      if (opened.res.status !== 503 || Date.now() > end) return opened;
    }
  };
  const a = await until(urls[0]);
  expect(a.res.status).toBe(200);
  expect((await until(urls[1])).res.status).toBe(200);
  // The restarted Redis is empty: the old session is gone; a new one opened via A continues via B.
  expect((await listTools(urls[1], key, id)).status).toBe(404);
  const res = await listTools(urls[1], key, a.id);
  expect(res.status).toBe(200);
  expect(await res.text()).toContain('"echo"');
  expect(lines.filter((l) => l.includes('redis unreachable: MCP'))).toHaveLength(1);
  expect(lines.filter((l) => l.includes('redis reachable again: MCP'))).toHaveLength(1);
}, 30_000);

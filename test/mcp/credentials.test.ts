/** With a recording upstream: the caller's gateway key never arrives; the server's own configured headers do. */
import { afterAll, describe, expect, test } from 'bun:test';
import { parseMcpConfig } from '../../src/config/mcp-config';
import { testGateway } from '../support/app';

const seen: Record<string, string>[] = [];
let streamClosedAt: number | undefined;
const upstream = Bun.serve({
  hostname: '127.0.0.1',
  port: 0,
  idleTimeout: 0,
  async fetch(req) {
    if (new URL(req.url).pathname === '/stateless') {
      const msg = (await req.json()) as { id?: number };
      return Response.json({ jsonrpc: '2.0', id: msg.id, result: { stateless: true, sawSession: req.headers.has('mcp-session-id') } });
    }
    if (req.method === 'GET') {
      // A server-to-client stream that never ends by itself.
      let timer: Timer;
      return new Response(
        new ReadableStream({
          start(c) {
            c.enqueue(new TextEncoder().encode(': open\n\n'));
            timer = setInterval(() => c.enqueue(new TextEncoder().encode(': keep-alive\n\n')), 50);
          },
          cancel() {
            clearInterval(timer);
            streamClosedAt = Date.now();
          },
        }),
        { headers: { 'content-type': 'text/event-stream' } },
      );
    }
    seen.push(Object.fromEntries(req.headers));
    const msg = (await req.json().catch(() => ({}))) as { id?: number; method?: string };
    if (msg.method === 'initialize') {
      return Response.json({ jsonrpc: '2.0', id: msg.id, result: { protocolVersion: '2025-06-18', capabilities: {}, serverInfo: { name: 'rec', version: '1' } } }, { headers: { 'mcp-session-id': 'upstream-session-1' } });
    }
    return Response.json({ jsonrpc: '2.0', id: msg.id, result: {} });
  },
});
const { config } = parseMcpConfig(
  JSON.stringify({
    mcpServers: {
      rec: { type: 'streamable-http', url: `http://127.0.0.1:${upstream.port}/mcp`, headers: { 'x-api-key': 'os.environ/REC_KEY' } },
      stateless: { type: 'streamable-http', url: `http://127.0.0.1:${upstream.port}/stateless` },
    },
  }),
  { REC_KEY: 'upstream-secret' },
);
const gw = testGateway({ mcp: config });
afterAll(() => {
  gw.close();
  upstream.stop(true);
});

describe('MCP credentials', () => {
  test('no gateway key or cookie upstream; the upstream session id stays hidden', async () => {
    const key = gw.newKey('mcp-rec@example.com');
    const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream', host: 'localhost:8000', cookie: 'session=abc', 'x-forwarded-for': '1.2.3.4' };
    const init = await gw.request('POST', '/mcp-servers/rec/mcp', { key, headers, body: { jsonrpc: '2.0', id: 1, method: 'initialize', params: {} } });
    expect(init.status).toBe(200);
    const sid = init.headers.get('mcp-session-id')!;
    expect(sid).not.toBe('upstream-session-1');
    await init.text();
    const ping = await gw.request('POST', '/mcp-servers/rec/mcp', { key, headers: { ...headers, 'mcp-session-id': sid }, body: { jsonrpc: '2.0', id: 2, method: 'ping' } });
    expect(ping.status).toBe(200);
    expect(seen).toHaveLength(2);
    for (const h of seen) {
      expect(JSON.stringify(h)).not.toContain(key);
      expect(h.authorization).toBeUndefined();
      expect(h.cookie).toBeUndefined();
      expect(h['x-forwarded-for']).toBeUndefined();
      expect(h['x-api-key']).toBe('upstream-secret');
    }
    expect(seen[1]!['mcp-session-id']).toBe('upstream-session-1');
  });

  test('a stateless server (no session ids) works', async () => {
    const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream', host: 'localhost:8000' };
    for (const id of [1, 2]) {
      const res = await gw.request('POST', '/mcp-servers/stateless/mcp', { headers, body: { jsonrpc: '2.0', id, method: 'tools/list', params: {} } });
      expect(res.status).toBe(200);
      expect(res.headers.get('mcp-session-id')).toBeNull();
      expect(await res.json()).toEqual({ jsonrpc: '2.0', id, result: { stateless: true, sawSession: false } });
    }
  });

  test('a client that drops the GET stream closes the upstream stream within a second', async () => {
    const url = gw.listen();
    const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream', authorization: `Bearer ${gw.adminKey}` };
    const init = await fetch(`${url}/mcp-servers/rec/mcp`, { method: 'POST', headers, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: {} }) });
    const sid = init.headers.get('mcp-session-id')!;
    await init.text();
    const controller = new AbortController();
    const res = await fetch(`${url}/mcp-servers/rec/mcp`, { headers: { ...headers, accept: 'text/event-stream', 'mcp-session-id': sid }, signal: controller.signal });
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    await reader.read();
    await Bun.sleep(200); // longer than the keep-alive interval: the stream stays open
    expect(streamClosedAt).toBeUndefined();
    const abortedAt = Date.now();
    controller.abort();
    for (let i = 0; i < 100 && streamClosedAt === undefined; i++) await Bun.sleep(10);
    expect(streamClosedAt).toBeDefined();
    expect(streamClosedAt! - abortedAt).toBeLessThan(1000);
  });
});

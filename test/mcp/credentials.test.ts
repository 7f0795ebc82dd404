/** With a recording upstream: the caller's gateway key never arrives; the server's own configured headers do. */
import { afterAll, describe, expect, test } from 'bun:test';
import { parseMcpConfig } from '../../src/config/mcp-config';
import { testGateway } from '../support/app';

const seen: Record<string, string>[] = [];
const upstream = Bun.serve({
  hostname: '127.0.0.1',
  port: 0,
  async fetch(req) {
    seen.push(Object.fromEntries(req.headers));
    const msg = (await req.json().catch(() => ({}))) as { id?: number; method?: string };
    if (msg.method === 'initialize') {
      return Response.json({ jsonrpc: '2.0', id: msg.id, result: { protocolVersion: '2025-06-18', capabilities: {}, serverInfo: { name: 'rec', version: '1' } } }, { headers: { 'mcp-session-id': 'upstream-session-1' } });
    }
    return Response.json({ jsonrpc: '2.0', id: msg.id, result: {} });
  },
});
const { config } = parseMcpConfig(JSON.stringify({ mcpServers: { rec: { type: 'streamable-http', url: `http://127.0.0.1:${upstream.port}/mcp`, headers: { 'x-api-key': 'os.environ/REC_KEY' } } } }), { REC_KEY: 'upstream-secret' });
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
});

/**
 * A relayed MCP GET stream opens at once, though its server stays quiet: the client gets the 200 and the
 * event-stream headers before the server's first event (Bun would hold them until the first bytes; the gateway
 * sends an SSE comment first), then the server's events unchanged; closing the stream ends the server's.
 */
import { afterAll, expect, test } from 'bun:test';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { testGateway } from '../support/app';

let closedUpstream = false;
/**
 * A minimal Streamable HTTP server (node:http, which sends headers at once as Node MCP servers do): initialize
 * gives a session; its GET stream is silent for 1.5 s, then one event.
 */
const quiet = createServer((req, res) => {
  if (req.method === 'POST') {
    let raw = '';
    req.on('data', (c) => (raw += c));
    req.on('end', () => {
      const msg = JSON.parse(raw) as { id?: number };
      res.writeHead(200, { 'content-type': 'application/json', 'mcp-session-id': 'upstream-1' });
      res.end(JSON.stringify({ jsonrpc: '2.0', id: msg.id ?? null, result: { protocolVersion: '2025-06-18', capabilities: {}, serverInfo: { name: 'quiet', version: '1' } } }));
    });
    return;
  }
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  res.flushHeaders();
  const timer = setTimeout(() => res.write('id: 1\nevent: message\ndata: {"jsonrpc":"2.0","method":"notifications/message","params":{"level":"info","data":"late"}}\n\n'), 1500);
  res.on('close', () => {
    clearTimeout(timer);
    closedUpstream = true;
  });
});
await new Promise<void>((resolve) => quiet.listen(0, '127.0.0.1', resolve));
const port = (quiet.address() as AddressInfo).port;
const gw = testGateway({ mcp: { servers: new Map([['quiet', { name: 'quiet', url: `http://127.0.0.1:${port}/mcp`, tags: [], headers: {} }]]) } });
const url = `${gw.listen()}/mcp-servers/quiet/mcp`;
afterAll(() => {
  gw.close();
  quiet.close();
});

test('the GET stream answers 200 with its headers before the server says anything, then relays its events', async () => {
  const auth = { authorization: `Bearer ${gw.adminKey}` };
  const init = await fetch(url, {
    method: 'POST',
    headers: { ...auth, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } } }),
  });
  expect(init.status).toBe(200);
  const session = init.headers.get('mcp-session-id')!;
  await init.text();

  const started = performance.now();
  const stream = await fetch(url, { headers: { ...auth, accept: 'text/event-stream', 'mcp-session-id': session } });
  expect(performance.now() - started).toBeLessThan(1000);
  expect(stream.status).toBe(200);
  expect(stream.headers.get('content-type')).toStartWith('text/event-stream');
  const reader = stream.body!.getReader();
  let text = '';
  while (!text.includes('"late"')) {
    const { value, done } = await reader.read();
    if (done) break;
    text += new TextDecoder().decode(value);
  }
  expect(text).toStartWith(': stream open\n\n');
  expect(text).toContain('id: 1\nevent: message\ndata: {"jsonrpc":"2.0","method":"notifications/message","params":{"level":"info","data":"late"}}\n\n');
  await reader.cancel();
  for (let i = 0; i < 50 && !closedUpstream; i++) await Bun.sleep(20);
  expect(closedUpstream).toBe(true);
});

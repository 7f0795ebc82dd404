/** GET /mcp-servers hands out URLs built from the configured public URL, or from an allowed Host only. */
import { afterAll, expect, test } from 'bun:test';
import { testGateway } from '../support/app';

const mcp = { servers: new Map([['tools', { name: 'tools', url: 'http://127.0.0.1:9/mcp', tags: [], headers: {} }]]) };
const plain = testGateway({ mcp });
const withPublicUrl = testGateway({ mcp, settings: { publicUrl: 'https://gateway.example.org' } });
afterAll(() => {
  plain.close();
  withPublicUrl.close();
});

// As the listener builds it: the request URL carries the Host the client sent.
const list = (gw: typeof plain, host: string) => gw.app.handle(new Request(`http://${host}/mcp-servers`, { headers: { host, authorization: `Bearer ${gw.adminKey}` } }));

test('a Host outside the allow-list gets 421, not a URL pointing at it', async () => {
  const res = await list(plain, 'attacker.example');
  expect(res.status).toBe(421);
  expect(await res.text()).not.toContain('attacker.example');
});

test('an allowed Host gives URLs on that host', async () => {
  const res = await list(plain, 'localhost:8000');
  expect(res.status).toBe(200);
  expect(((await res.json()) as any).data).toMatchObject([{ name: 'tools', url: 'http://localhost:8000/mcp-servers/tools/mcp' }]);
});

test('with AQUEDUCT_PUBLIC_URL the URLs use it, whatever Host the caller sends', async () => {
  const res = await list(withPublicUrl, 'attacker.example');
  expect(res.status).toBe(200);
  expect(((await res.json()) as any).data).toMatchObject([{ url: 'https://gateway.example.org/mcp-servers/tools/mcp' }]);
});

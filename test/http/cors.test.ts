import { describe, expect, test } from 'bun:test';
import { testGateway } from '../support/app';

describe('CORS', () => {
  test('allow-all by default on API paths, exposing the request id and MCP/rate-limit headers', async () => {
    const gw = testGateway();
    const res = await gw.request('GET', '/v1/models', { headers: { origin: 'http://notebook.example' } });
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    const exposed = res.headers.get('access-control-expose-headers')!;
    for (const h of ['x-request-id', 'mcp-session-id', 'x-ratelimit-remaining-requests', 'retry-after']) expect(exposed).toContain(h);
    // Also on errors.
    const denied = await gw.request('GET', '/models', { key: null, headers: { origin: 'http://notebook.example' } });
    expect(denied.status).toBe(401);
    expect(denied.headers.get('access-control-allow-origin')).toBe('*');
    gw.close();
  });

  test('preflight is answered without a key', async () => {
    const gw = testGateway();
    const res = await gw.request('OPTIONS', '/v1/chat/completions', {
      key: null,
      headers: { origin: 'http://x', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type' },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(res.headers.get('access-control-allow-methods')).toContain('POST');
    expect(res.headers.get('access-control-allow-headers')).toBe('authorization, content-type');
    expect(res.headers.get('x-request-id')).toMatch(/^req_/);
    gw.close();
  });

  test('no CORS on non-API paths; a configured origin list is honoured', async () => {
    const gw = testGateway({ settings: { corsOrigins: ['https://app.example'] } });
    expect((await gw.request('GET', '/health', { headers: { origin: 'https://app.example' } })).headers.get('access-control-allow-origin')).toBeNull();
    expect((await gw.request('GET', '/v1/models', { headers: { origin: 'https://app.example' } })).headers.get('access-control-allow-origin')).toBe('https://app.example');
    expect((await gw.request('GET', '/v1/models', { headers: { origin: 'https://evil.example' } })).headers.get('access-control-allow-origin')).toBeNull();
    gw.close();
  });
});

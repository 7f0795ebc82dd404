/**
 * The model endpoints are served by their own lane (routes/inference-lane.ts), reached two ways: Bun's
 * router on a real listener, and the first onRequest hook otherwise (app.handle, trailing slashes).
 * Both must refuse and answer exactly like the rest of the API.
 */
import { afterAll, describe, expect, test } from 'bun:test';
import { testGateway } from '../support/app';
import { MockUpstream } from '../support/mock-upstream';

const mock = new MockUpstream().start();
const gw = testGateway({
  routerYaml: `model_list:\n  - model_name: m\n    litellm_params: { model: openai/up, api_base: "${mock.base('m')}" }\n`,
  settings: { corsOrigins: ['https://app.example'], maxBodySize: 2048 },
});
const base = gw.listen();
afterAll(() => {
  gw.close();
  mock.stop();
});

type Send = (path: string, init: { method?: string; key?: string | null; body?: string; headers?: Record<string, string> }) => Promise<Response>;
const viaListener: Send = (path, init) => {
  const headers: Record<string, string> = { ...init.headers };
  const key = init.key === undefined ? gw.adminKey : init.key;
  if (key !== null) headers.authorization = `Bearer ${key}`;
  return fetch(base + path, { method: init.method ?? 'POST', headers, body: init.body });
};
const viaHandle: Send = (path, init) => {
  const headers: Record<string, string> = { ...init.headers };
  const key = init.key === undefined ? gw.adminKey : init.key;
  if (key !== null) headers.authorization = `Bearer ${key}`;
  return gw.app.handle(new Request(`http://localhost${path}`, { method: init.method ?? 'POST', headers, body: init.body }));
};

const chat = JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'hi' }] });
const json = { 'content-type': 'application/json' };

const CASES: { name: string; path: string; init: Parameters<Send>[1]; status: number; code: string | null; param?: string }[] = [
  { name: 'no key', path: '/v1/chat/completions', init: { key: null, body: chat, headers: json }, status: 401, code: 'invalid_api_key' },
  { name: 'wrong key', path: '/v1/embeddings', init: { key: 'sk-nope', body: chat, headers: json }, status: 401, code: 'invalid_api_key' },
  { name: 'bad JSON', path: '/chat/completions', init: { body: '{"model":', headers: json }, status: 400, code: 'invalid_json' },
  { name: 'missing field', path: '/v1/chat/completions', init: { body: '{"model":"m"}', headers: json }, status: 400, code: 'missing_required_parameter', param: 'messages' },
  { name: 'wrong type deep inside', path: '/v1/chat/completions', init: { body: '{"model":"m","messages":[{"role":7}]}', headers: json }, status: 400, code: 'invalid_value', param: 'messages[0].role' },
  { name: 'not an object', path: '/v1/completions', init: { body: '[1,2]', headers: json }, status: 400, code: 'invalid_request_body' },
  { name: 'form body', path: '/v1/images/generations', init: { body: 'a=b', headers: { 'content-type': 'application/x-www-form-urlencoded' } }, status: 415, code: 'unsupported_media_type' },
  { name: 'too large', path: '/v1/audio/speech', init: { body: JSON.stringify({ model: 'm', input: 'x'.repeat(4000), voice: 'v' }), headers: json }, status: 413, code: 'request_too_large' },
  { name: 'unknown model', path: '/v1/chat/completions/', init: { body: chat.replace('"m"', '"nope"'), headers: json }, status: 404, code: 'model_not_found', param: 'model' },
];

describe('inference lane', () => {
  for (const c of CASES) {
    test(`${c.name}: same refusal through Bun's router and through app.handle`, async () => {
      for (const send of [viaListener, viaHandle]) {
        const res = await send(c.path, { ...c.init, headers: { ...c.init.headers, origin: 'https://app.example' } });
        expect(res.status).toBe(c.status);
        expect(res.headers.get('content-type')).toContain('application/json');
        expect(res.headers.get('x-request-id')).toMatch(/^req_/);
        expect(res.headers.get('access-control-allow-origin')).toBe('https://app.example');
        expect(res.headers.get('access-control-expose-headers')).toContain('x-ratelimit-remaining-requests');
        const body = (await res.json()) as { error: { code: string | null; param: string | null; type: string; message: string } };
        expect(body.error.code).toBe(c.code);
        expect(body.error.param).toBe(c.param ?? null);
        expect(typeof body.error.message).toBe('string');
      }
    });
  }

  test('a call answers the same both ways: bare, /v1, trailing slash and query string', async () => {
    for (const [send, path] of [
      [viaListener, '/v1/chat/completions'],
      [viaListener, '/chat/completions?trace=1'],
      [viaListener, '/v1/chat/completions/'],
      [viaHandle, '/v1/chat/completions'],
    ] as const) {
      const res = await send(path, { body: chat, headers: json });
      expect(res.status).toBe(200);
      expect(res.headers.get('x-ratelimit-limit-requests')).toBeNull(); // no limits set for this key
      expect(((await res.json()) as { object: string }).object).toBe('chat.completion');
    }
  });

  test('other methods on a model endpoint are still 405 with Allow', async () => {
    const res = await viaListener('/v1/chat/completions', { method: 'GET' });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('POST');
  });

  test('every refusal is counted like a call (the access-log event feeds /metrics)', async () => {
    const text = await (await gw.request('GET', '/metrics')).text();
    expect(text).toMatch(/aqueduct_requests_total\{model="",route="\/v1\/chat\/completions",status="401"\} 2/);
    expect(text).toMatch(/aqueduct_requests_total\{model="",route="\/chat\/completions",status="400"\} 2/);
    expect(text).toMatch(/aqueduct_requests_total\{model="",route="\/v1\/audio\/speech",status="413"\} 2/);
  });
});

import { describe, expect, test } from 'bun:test';
import { Elysia, t } from 'elysia';
import { ApiError } from '../../src/http/api-error';
import { jsonBodies } from '../../src/http/body';
import { errors, methodLookup } from '../../src/http/errors';
import { requestId } from '../../src/http/request-id';
import type { Logger } from '../../src/log';
import { expectOpenAIError, testGateway } from '../support/app';

/** A small app with the real error and body plugins and a JSON route with a typed body. */
function probeApp(log: Logger = { debug() {}, info() {}, warn() {}, error() {} }) {
  let lookup = methodLookup([]);
  const app = new Elysia()
    .use(requestId())
    .use(errors(log, (p) => lookup(p)))
    .use(jsonBodies(1024, 4096))
    .post('/echo', ({ body }) => body, {
      body: t.Object(
        { model: t.String(), n: t.Optional(t.Integer({ minimum: 1 })), messages: t.Array(t.Object({ role: t.Union([t.Literal('user'), t.Literal('system')]) })) },
        { additionalProperties: true },
      ),
    })
    .get('/boom', () => {
      throw new Error('secret internals at /srv/app.ts:12');
    })
    .get('/teapot', () => {
      throw new ApiError(418, "I'm a teapot", { code: 'teapot', headers: { 'retry-after': '1' } });
    });
  lookup = methodLookup(app.routes);
  const post = (body: string | ReadableStream, headers: Record<string, string> = { 'content-type': 'application/json' }) =>
    app.handle(new Request('http://localhost/echo', { method: 'POST', body, headers }));
  return { app, post };
}

describe('errors in the OpenAI shape', () => {
  test('unknown fields pass through a typed body', async () => {
    const res = await probeApp().post(JSON.stringify({ model: 'm', messages: [{ role: 'user' }], extra: { keep: true } }));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ model: 'm', messages: [{ role: 'user' }], extra: { keep: true } });
  });

  test('validation → 400 naming the parameter', async () => {
    const { post } = probeApp();
    let e = await expectOpenAIError(await post(JSON.stringify({ messages: [] })), 400);
    expect(e).toMatchObject({ param: 'model', code: 'missing_required_parameter', type: 'invalid_request_error' });
    e = await expectOpenAIError(await post(JSON.stringify({ model: 'm', messages: [{ role: 'robot' }] })), 400);
    expect(e.param).toBe('messages[0].role');
    e = await expectOpenAIError(await post(JSON.stringify({ model: 'm', messages: [], n: 0 })), 400);
    expect(e.param).toBe('n');
    e = await expectOpenAIError(await post('[1,2]'), 400);
    e = await expectOpenAIError(await post('"text"'), 400);
  });

  test('bad or empty JSON → 400', async () => {
    const { post } = probeApp();
    const e = await expectOpenAIError(await post('{"model": '), 400);
    expect(e.code).toBe('invalid_json');
    expect(e.message).toContain('could not parse the JSON body');
    expect((await expectOpenAIError(await post(''), 400)).code).toBe('invalid_json');
  });

  test('unsupported content type → 415', async () => {
    const { post } = probeApp();
    const e = await expectOpenAIError(await post('model=m', { 'content-type': 'application/x-www-form-urlencoded' }), 415);
    expect(e.message).toContain('application/x-www-form-urlencoded');
    await expectOpenAIError(await post('hello', { 'content-type': 'text/plain' }), 415);
  });

  test('too large → 413, from Content-Length before reading, and for a chunked body as it streams', async () => {
    const { post } = probeApp();
    const big = JSON.stringify({ model: 'x'.repeat(2000), messages: [] });
    await expectOpenAIError(await post(big), 413);
    let pulled = 0;
    const stream = new ReadableStream({
      pull(c) {
        pulled++;
        if (pulled > 100) return c.close();
        c.enqueue(new TextEncoder().encode(' '.repeat(100)));
      },
    });
    const e = await expectOpenAIError(await post(stream), 413);
    expect(e.code).toBe('request_too_large');
    expect(pulled).toBeLessThan(20); // stopped reading soon after the limit
  });

  test('unknown route → 404, wrong method → 405 with Allow', async () => {
    const { app } = probeApp();
    let res = await app.handle(new Request('http://localhost/nowhere'));
    expect((await expectOpenAIError(res, 404)).code).toBe('unknown_url');
    res = await app.handle(new Request('http://localhost/echo'));
    expect(res.headers.get('allow')).toBe('POST');
    await expectOpenAIError(res, 405);
  });

  test('anything unexpected → 500 without internals; logged with the request id', async () => {
    const logged: Record<string, unknown>[] = [];
    const { app } = probeApp({ debug() {}, info() {}, warn() {}, error: (_m, f) => logged.push(f ?? {}) });
    const res = await app.handle(new Request('http://localhost/boom'));
    const rid = res.headers.get('x-request-id');
    const e = await expectOpenAIError(res, 500);
    expect(e.type).toBe('server_error');
    expect(e.message).not.toContain('secret');
    expect(logged).toHaveLength(1);
    expect(logged[0]!.request_id).toBe(rid);
  });

  test('an ApiError keeps its status, code and headers', async () => {
    const { app } = probeApp();
    const res = await app.handle(new Request('http://localhost/teapot'));
    expect(res.headers.get('retry-after')).toBe('1');
    expect((await expectOpenAIError(res, 418)).code).toBe('teapot');
  });
});

describe('the gateway app', () => {
  test('every response carries a distinct x-request-id', async () => {
    const gw = testGateway();
    const ids = new Set<string>();
    for (const path of ['/health', '/v1/models', '/nowhere', '/swagger/json']) {
      const res = await gw.request('GET', path);
      ids.add(res.headers.get('x-request-id')!);
    }
    expect(ids.size).toBe(4);
    gw.close();
  });

  test('405 on a known API path before authentication', async () => {
    const gw = testGateway();
    const res = await gw.request('DELETE', '/v1/models', { key: null });
    expect(res.headers.get('allow')).toBe('GET');
    await expectOpenAIError(res, 405);
    gw.close();
  });

  test('/health and /ready need no key; /ready says 503 once the database is gone', async () => {
    const gw = testGateway();
    const res = await gw.request('GET', '/health', { key: null });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('ok');
    expect((await gw.request('GET', '/ready', { key: null })).status).toBe(200);
    gw.db.sqlite.close();
    expect((await gw.request('GET', '/ready', { key: null })).status).toBe(503);
  });
});

/**
 * Abuse at the edge (issue 15): what an unauthenticated or careless caller can make the gateway hold —
 * label series, request bodies, multipart fields, idle connections — stays bounded; downloads of any
 * filename work; a browser tool on another origin may use every method the API has.
 */
import { afterAll, describe, expect, test } from 'bun:test';
import { readdirSync } from 'node:fs';
import { connect } from 'node:net';
import { MockUpstream } from '../support/mock-upstream';
import { join } from 'node:path';
import { Metrics } from '../../src/domain/metrics';
import { expectOpenAIError, testGateway } from '../support/app';

const gw = testGateway();
afterAll(() => gw.close());

const upload = (form: FormData, key = gw.adminKey) =>
  gw.app.handle(new Request('http://localhost/v1/files', { method: 'POST', headers: { authorization: `Bearer ${key}` }, body: form }));

describe('CORS preflight', () => {
  test('allows PATCH (the admin API updates with it) and the other methods the API has', async () => {
    const res = await gw.request('OPTIONS', '/admin/users/1', { key: null, headers: { origin: 'http://admin.example', 'access-control-request-method': 'PATCH' } });
    expect(res.status).toBe(204);
    const allowed = res.headers.get('access-control-allow-methods')!.split(',').map((m) => m.trim());
    expect(allowed.sort()).toEqual(['DELETE', 'GET', 'OPTIONS', 'PATCH', 'POST']);
  });
});

describe('downloads', () => {
  test('a filename outside Latin-1 downloads with RFC 6266 filename* and an ASCII fallback; nosniff', async () => {
    const form = new FormData();
    form.append('purpose', 'user_data');
    form.append('file', new File(['hello'], '文件 (a).txt'));
    const created = await upload(form);
    expect(created.status).toBe(200);
    const { id } = (await created.json()) as { id: string };
    const res = await gw.request('GET', `/v1/files/${id}/content`);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('hello');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    const disposition = res.headers.get('content-disposition')!;
    expect(disposition).toBe(`attachment; filename="__ (a).txt"; filename*=UTF-8''%E6%96%87%E4%BB%B6%20%28a%29.txt`);
    expect(decodeURIComponent(/filename\*=UTF-8''(.*)$/.exec(disposition)![1]!)).toBe('文件 (a).txt');
  });
});

describe('metrics', () => {
  const series = (text: string) => text.split('\n').filter((l) => l !== '' && !l.startsWith('#')).length;

  test('10,000 random unknown paths without a key leave /metrics small: they share one `unmatched` route', async () => {
    // Served on a port: the access line (which feeds the metrics) is written after the response is sent.
    const g = testGateway();
    const url = g.listen();
    const scrape = () => fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${g.adminKey}` } }).then((r) => r.text());
    const before = await scrape();
    for (let i = 0; i < 10_000; i += 100) {
      await Promise.all(Array.from({ length: 100 }, (_, j) => fetch(`${url}/x${Math.random().toString(36).slice(2)}/${i + j}`).then((r) => r.arrayBuffer())));
    }
    const after = await scrape();
    g.close();
    expect(after).toContain('aqueduct_requests_total{model="",route="unmatched",status="404"} 10000');
    expect(after).not.toContain('route="/x');
    // The requests counter, the duration histogram (17 lines) for `unmatched`, and the /metrics route itself.
    expect(series(after) - series(before)).toBeLessThanOrEqual(2 * 18);
    expect(after.length).toBeLessThan(20_000);
  });

  test('label values a caller controls (model names) cannot grow the series without bound', () => {
    const m = new Metrics();
    m.labelRoutes(['/v1/chat/completions']);
    for (let i = 0; i < 10_000; i++) m.observe({ request_id: 'r', method: 'POST', path: '/v1/chat/completions', status: 404, latency_ms: 1, model: `no-such-model-${i}` });
    const requests = m.render().split('\n').filter((l) => l.startsWith('aqueduct_requests_total{'));
    expect(requests.length).toBe(2_001);
    expect(requests).toContain('aqueduct_requests_total{model="other",route="other",status="other"} 8000');
  });
});

describe('authentication before the body', () => {
  /** A 30 MB body that counts how much of it the gateway pulled. */
  function countedBody(mb = 30) {
    const chunk = new Uint8Array(1024 * 1024).fill(0x20);
    const state = { pulledMb: 0 };
    const body = new ReadableStream<Uint8Array>({
      pull(c) {
        if (state.pulledMb >= mb) return c.close();
        state.pulledMb++;
        c.enqueue(chunk);
      },
    });
    return { body, state };
  }

  for (const [path, contentType] of [
    ['/admin/users', 'application/json'],
    ['/v1/batches', 'application/json'],
    ['/batches', 'application/json'],
    ['/mcp-servers/everything/mcp', 'application/json'],
    ['/v1/files', 'multipart/form-data; boundary=x'],
    ['/admin/keys/1', 'application/json'],
  ] as const) {
    test(`POST ${path} without a key: 401 with WWW-Authenticate, the body left unread`, async () => {
      const { body, state } = countedBody();
      const method = path === '/admin/keys/1' ? 'PATCH' : 'POST';
      const res = await gw.app.handle(new Request(`http://localhost${path}`, { method, body, headers: { 'content-type': contentType }, duplex: 'half' } as RequestInit));
      const error = await expectOpenAIError(res, 401);
      expect(error.code).toBe('invalid_api_key');
      expect(res.headers.get('www-authenticate')).toBe('Bearer realm="aqueduct"');
      // The stream's own read-ahead is one chunk; the gateway read nothing of the rest.
      expect(state.pulledMb).toBeLessThanOrEqual(1);
    });
  }

  test('an invalid body without a key is 401, not a validation 400; with a wrong key too', async () => {
    const none = await gw.request('POST', '/admin/users', { key: null, body: { email: 1 } });
    expect((await expectOpenAIError(none, 401)).code).toBe('invalid_api_key');
    const wrong = await gw.request('POST', '/v1/batches', { key: 'sk-wrong', body: '{not json' });
    await expectOpenAIError(wrong, 401);
    expect(wrong.headers.get('www-authenticate')).toBe('Bearer realm="aqueduct", error="invalid_token"');
    // With a key, the same body is validated as before.
    expect((await gw.request('POST', '/admin/users', { body: { email: 1 } })).status).toBe(400);
  });

  test('open routes stay open; unknown paths stay 404', async () => {
    expect((await gw.request('GET', '/health', { key: null })).status).toBe(200);
    expect((await gw.request('GET', '/swagger/json', { key: null })).status).toBe(200);
    await expectOpenAIError(await gw.request('POST', '/no-such-route', { key: null, body: {} }), 404);
  });
});

describe('multipart uploads', () => {
  test('more than 16 text fields: 400 too_many_fields, nothing stored', async () => {
    const form = new FormData();
    for (let i = 0; i < 1_500; i++) form.append(`f${i}`, 'x'.repeat(100));
    form.append('purpose', 'user_data');
    form.append('file', new File(['hello'], 'a.txt'));
    const error = await expectOpenAIError(await upload(form), 400);
    expect(error.code).toBe('too_many_fields');
  });

  test('text fields past 128 KB in total: 413 fields_too_large', async () => {
    const form = new FormData();
    for (let i = 0; i < 3; i++) form.append(`f${i}`, 'x'.repeat(60 * 1024));
    form.append('purpose', 'user_data');
    form.append('file', new File(['hello'], 'a.txt'));
    const error = await expectOpenAIError(await upload(form), 413);
    expect(error.code).toBe('fields_too_large');
  });

  test('an upload that stalls is refused with 408 after the idle limit; its temporary file is removed', async () => {
    const g = testGateway({ settings: { uploadIdleTimeout: 300 } });
    const incoming = g.files.incoming;
    const head = new TextEncoder().encode('--b\r\nContent-Disposition: form-data; name="file"; filename="a.txt"\r\n\r\nsome bytes, then nothing');
    let cancelled = false;
    const body = new ReadableStream<Uint8Array>({
      start: (c) => c.enqueue(head), // and never another byte, never the end
      cancel: () => void (cancelled = true),
    });
    const started = performance.now();
    const res = await g.app.handle(new Request('http://localhost/v1/files', { method: 'POST', body, headers: { authorization: `Bearer ${g.adminKey}`, 'content-type': 'multipart/form-data; boundary=b' }, duplex: 'half' } as RequestInit));
    expect((await expectOpenAIError(res, 408)).code).toBe('upload_idle_timeout');
    expect(performance.now() - started).toBeGreaterThanOrEqual(290); // not refused before the limit
    expect(cancelled).toBe(true);
    expect(readdirSync(incoming)).toEqual([]);
    expect(((await (await g.request('GET', '/v1/files')).json()) as { data: unknown[] }).data).toEqual([]);
    g.close();
  });
});

describe('a stream whose client stops reading', () => {
  test('is ended after the client idle limit: upstream call cancelled, usage recorded', async () => {
    const mock = new MockUpstream(false).start();
    mock.extraWords = 5_000_000; // far more than socket buffers hold: the relay must wait on the client
    const g = testGateway({
      settings: { clientIdleTimeout: 500 },
      routerYaml: `model_list:\n  - { model_name: chat, litellm_params: { model: openai/c, api_base: "${mock.base()}" }, model_info: { mode: chat } }\n`,
    });
    const url = new URL(g.listen());
    const body = JSON.stringify({ model: 'chat', stream: true, messages: [{ role: 'user', content: 'hi' }] });
    const socket = connect(Number(url.port), url.hostname);
    socket.once('data', () => socket.pause()); // reads the first bytes, then never again
    socket.write(`POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${g.adminKey}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
    // Without the limit the stream waits on the client for ever: no usage row, the upstream call open.
    let rows = g.usageRows();
    for (let i = 0; i < 100 && rows.length === 0; i++) {
      await Bun.sleep(100);
      rows = g.usageRows();
    }
    socket.destroy();
    expect(rows.map((r) => [r.status, r.error_code])).toEqual([[408, 'client_idle_timeout']]);
    expect(mock.inFlight).toBe(0); // the upstream call was cancelled, long before its 5 million words
    g.close();
    await mock.stop();
  }, 20_000);
});

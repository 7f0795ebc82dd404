/**
 * Abuse at the edge (issue 15): what an unauthenticated or careless caller can make the gateway hold —
 * label series, request bodies, multipart fields, idle connections — stays bounded; downloads of any
 * filename work; a browser tool on another origin may use every method the API has.
 */
import { afterAll, describe, expect, test } from 'bun:test';
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

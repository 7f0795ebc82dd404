/** The console's Files & batches page: owner scoping, CSRF, escaping, and a demo batch's output downloaded through it. */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { DEMO_ROUTER_YAML } from '../../src/config/demo-models';
import { testGateway, type TestGateway } from '../support/app';
import { ConsoleClient } from '../support/console-client';

// The demo provider answers in-process, so batches complete; slow-chat keeps a batch running to cancel it.
const gw: TestGateway = testGateway({
  routerYaml: `${DEMO_ROUTER_YAML}
  - model_name: slow-chat
    litellm_params: { model: demo/slow-chat, mock_latency_ms: 60000 }
    model_info: { mode: chat }
`,
});
afterAll(() => gw.close());

let ada: ConsoleClient;
let adaKey: string;
let bobKey: string;
beforeAll(async () => {
  adaKey = gw.newKey('ada@example.com');
  bobKey = gw.newKey('bob@example.com');
  ada = new ConsoleClient(gw);
  expect((await ada.signIn(adaKey)).status).toBe(303);
});

const line = (model: string, content: string) => JSON.stringify({ custom_id: `c-${content}`, method: 'POST', url: '/v1/chat/completions', body: { model, messages: [{ role: 'user', content }] } });

async function upload(key: string, name: string, text: string, purpose = 'batch'): Promise<string> {
  const form = new FormData();
  form.append('purpose', purpose);
  form.append('file', new File([text], name));
  const res = await gw.app.handle(new Request('http://localhost/v1/files', { method: 'POST', headers: { authorization: `Bearer ${key}` }, body: form }));
  expect(res.status).toBe(200);
  return ((await res.json()) as { id: string }).id;
}

async function batch(key: string, model: string, content: string): Promise<string> {
  const input = await upload(key, `${content}.jsonl`, `${line(model, content)}\n`);
  const res = await gw.request('POST', '/v1/batches', { key, body: { input_file_id: input, endpoint: '/v1/chat/completions', completion_window: '24h' } });
  expect(res.status).toBe(200);
  return ((await res.json()) as { id: string }).id;
}

const apiBatch = async (key: string, id: string) => (await (await gw.request('GET', `/v1/batches/${id}`, { key })).json()) as { status: string; output_file_id: string | null };

async function waitFor(key: string, id: string, statuses: string[]) {
  const until = Date.now() + 10_000;
  for (;;) {
    const b = await apiBatch(key, id);
    if (statuses.includes(b.status)) return b;
    if (Date.now() > until) throw new Error(`batch ${id} still ${b.status}`);
    await Bun.sleep(20);
  }
}

const filesPage = async (client = ada) => {
  const res = await client.get('/ui/files');
  expect(res.status).toBe(200);
  return res.text();
};

describe('files & batches page', () => {
  test('empty states say how to start, with the real base URL; the page is in the navigation', async () => {
    const cy = new ConsoleClient(gw);
    expect((await cy.signIn(gw.newKey('cy@example.com'))).status).toBe(303);
    const page = await filesPage(cy);
    expect(page).toContain('No files yet — upload one with the API:');
    expect(page).toContain('curl http://localhost/v1/files');
    expect(page).toContain('No batches yet');
    expect(page).toContain('<a href="/ui/files" aria-current="page">Files &amp; batches</a>');
    expect(await (await cy.get('/ui/keys')).text()).toContain('<a href="/ui/files">Files &amp; batches</a>');
  });

  test('a completed demo batch shows its progress, and its output downloads through the console with the API headers', async () => {
    const id = await batch(adaKey, 'demo-chat', 'hello console');
    const done = await waitFor(adaKey, id, ['completed', 'failed']);
    expect(done.status).toBe('completed');
    const page = await filesPage();
    expect(page).toContain(`<code>${id}</code> <span class="badge">completed</span>`);
    expect(page).toContain('1 completed, 0 failed, of 1');
    expect(page).not.toContain(`/ui/batches/${id}/cancel`); // finished: nothing to cancel
    expect(page).toContain(`<a href="/ui/files/${done.output_file_id}/content" download>Download output of ${id}</a>`);
    const res = await ada.get(`/ui/files/${done.output_file_id}/content`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/octet-stream');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('content-disposition')).toMatch(/^attachment; filename="[^"]+"; filename\*=UTF-8''/);
    const text = await res.text();
    expect(text).toContain('"custom_id":"c-hello console"');
    expect(text).toBe(await (await gw.request('GET', `/v1/files/${done.output_file_id}/content`, { key: adaKey })).text());
    // Cancelling a finished batch is the API's conflict, shown as a page.
    const late = await ada.post(`/ui/batches/${id}/cancel`, { _csrf: await ada.csrf() });
    expect(late.status).toBe(409);
    expect(await late.text()).toContain(`Batch ${id} is already completed.`);
  });

  test('a file name is shown as text, never as markup', async () => {
    await upload(adaKey, '<img src=x onerror=alert(1)>.jsonl', 'anything', 'user_data');
    const page = await filesPage();
    expect(page).not.toContain('<img src=x');
    expect(page).toContain('&lt;img src=x onerror=alert(1)&gt;.jsonl');
    expect(page.match(/<img\b/g)).toBeNull();
  });

  test('delete and cancel: with the token they work; without it 403 and nothing changes', async () => {
    const file = await upload(adaKey, 'notes.txt', 'keep me', 'user_data');
    const running = await batch(adaKey, 'slow-chat', 'slow one');
    expect(await filesPage()).toContain(`action="/ui/batches/${running}/cancel"`);
    for (const form of [{}, { _csrf: 'not-the-token' }] as Record<string, string>[]) {
      expect((await ada.post(`/ui/files/${file}/delete`, form)).status).toBe(403);
      expect((await ada.post(`/ui/batches/${running}/cancel`, form)).status).toBe(403);
    }
    expect((await gw.request('GET', `/v1/files/${file}`, { key: adaKey })).status).toBe(200);
    expect((await apiBatch(adaKey, running)).status).toBeOneOf(['validating', 'in_progress']);

    const deleted = await ada.post(`/ui/files/${file}/delete`, { _csrf: await ada.csrf() });
    expect(deleted.status).toBe(303);
    expect(deleted.headers.get('location')).toBe('/ui/files?done=deleted');
    expect((await gw.request('GET', `/v1/files/${file}`, { key: adaKey })).status).toBe(404);
    expect(await (await ada.get('/ui/files?done=deleted')).text()).toContain('File deleted.');

    const cancelled = await ada.post(`/ui/batches/${running}/cancel`, { _csrf: await ada.csrf() });
    expect(cancelled.status).toBe(303);
    expect((await waitFor(adaKey, running, ['cancelled'])).status).toBe('cancelled');
    const page = await filesPage();
    expect(page).toContain(`<code>${running}</code> <span class="badge">cancelled</span>`);
    expect(page).not.toContain(`action="/ui/batches/${running}/cancel"`);
  });

  test("another person's files and batches are absent, and out of reach: 404 for download, delete and cancel, nothing changed", async () => {
    const bobFile = await upload(bobKey, 'bob-secret.txt', 'bob only', 'user_data');
    const bobBatch = await batch(bobKey, 'slow-chat', 'bob slow');
    const page = await filesPage();
    for (const id of [bobFile, bobBatch, 'bob-secret.txt']) expect(page).not.toContain(id);
    const csrf = await ada.csrf();
    const tries: [string, Promise<Response>][] = [
      ['download', ada.get(`/ui/files/${bobFile}/content`)],
      ['delete', ada.post(`/ui/files/${bobFile}/delete`, { _csrf: csrf })],
      ['cancel', ada.post(`/ui/batches/${bobBatch}/cancel`, { _csrf: csrf })],
      ['malformed download', ada.get('/ui/files/..%2F..%2Fetc%2Fpasswd/content')],
      ['malformed cancel', ada.post('/ui/batches/nope/cancel', { _csrf: csrf })],
    ];
    for (const [what, pending] of tries) {
      const res = await pending;
      expect(`${what} ${res.status}`).toBe(`${what} 404`);
      expect(res.headers.get('content-disposition')).toBeNull();
      expect(await res.text()).not.toContain('bob only');
    }
    expect(await (await gw.request('GET', `/v1/files/${bobFile}/content`, { key: bobKey })).text()).toBe('bob only');
    expect((await apiBatch(bobKey, bobBatch)).status).toBeOneOf(['validating', 'in_progress']);
    expect((await gw.request('POST', `/v1/batches/${bobBatch}/cancel`, { key: bobKey })).status).toBe(200); // leave nothing running
  });

  test('signed out, the download sends the browser to sign in and gives no bytes', async () => {
    const id = await upload(adaKey, 'private.txt', 'private bytes', 'user_data');
    const res = await new ConsoleClient(gw).get(`/ui/files/${id}/content`);
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/ui/sign-in');
    expect(await res.text()).toBe('');
  });
});

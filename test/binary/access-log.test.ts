/** One JSON access-log line per request on stdout, with the key's preview and never the key. */
import { afterAll, describe, expect, test } from 'bun:test';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startBinary, tempDir } from '../support/binary';
import { MockUpstream } from '../support/mock-upstream';

describe('access log', () => {
  const mock = new MockUpstream(false).start();
  afterAll(() => mock.stop());

  test('model calls (plain and streamed), other routes and refusals each get a line', async () => {
    const cwd = tempDir('aq-access-');
    writeFileSync(join(cwd, 'router_config.yaml'), `model_list:\n  - model_name: m\n    litellm_params: { model: openai/up, api_base: "${mock.base('a')}" }\n`);
    const gw = await startBinary({ cwd });
    const key = readFileSync(join(cwd, 'data/initial-admin-key'), 'utf8').trim();
    const post = (body: object) => fetch(`${gw.url}/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify(body) }).then((r) => r.text());
    await post({ model: 'm', messages: [{ role: 'user', content: 'one two' }] });
    await post({ model: 'm', messages: [{ role: 'user', content: 'three' }], stream: true });
    await fetch(`${gw.url}/v1/models`, { headers: { authorization: `Bearer ${key}` } }).then((r) => r.text());
    await fetch(`${gw.url}/v1/models`, { headers: { authorization: 'Bearer sk-wrong' } }).then((r) => r.text());
    await gw.stop();
    const lines = gw.stdout().trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toHaveLength(4);
    expect(lines[0]).toMatchObject({ type: 'access', method: 'POST', path: '/v1/chat/completions', status: 200, model: 'm', input_tokens: 5, output_tokens: 3, stream: false, key: `sk-...${key.slice(-4)}` });
    expect(lines[1]).toMatchObject({ path: '/v1/chat/completions', status: 200, stream: true, input_tokens: 4, output_tokens: 2 });
    expect(lines[2]).toMatchObject({ method: 'GET', path: '/v1/models', status: 200, key: `sk-...${key.slice(-4)}` });
    expect(lines[3]).toMatchObject({ method: 'GET', path: '/v1/models', status: 401 });
    for (const l of lines) {
      expect(l.request_id).toMatch(/^req_/);
      expect(typeof l.latency_ms).toBe('number');
    }
    expect(gw.stdout()).not.toContain(key);
  });
});

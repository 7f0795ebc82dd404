/**
 * The model-call pipeline's guarantees, checked on the compiled binary: deep JSON is the caller's 400
 * (the health endpoint stays fast, no deployment is blamed), a fallback never reaches an excluded model,
 * and an upstream's error never shows the caller a configured secret.
 */
import { afterAll, beforeAll, expect, test } from 'bun:test';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startBinary, tempDir, type RunningBinary } from '../support/binary';
import { MockUpstream } from '../support/mock-upstream';

const mock = new MockUpstream().start();
let gw: RunningBinary;
let key: string;
beforeAll(async () => {
  const cwd = tempDir('aq-pipeline-');
  writeFileSync(
    join(cwd, 'router_config.yaml'),
    `model_list:
  - { model_name: m1, litellm_params: { model: openai/up1, api_base: "${mock.base('one')}", api_key: sk-UPSTREAM-very-secret-1 } }
  - { model_name: m2, litellm_params: { model: openai/up2, api_base: "${mock.base('two')}" } }
num_retries: 0
fallbacks: [{m1: [m2]}]
`,
  );
  gw = await startBinary({ cwd, args: ['--excluded-models', 'm2'] });
  key = readFileSync(join(cwd, 'data/initial-admin-key'), 'utf8').trim();
});
afterAll(async () => {
  await gw?.stop();
  await mock.stop();
});

const chat = (body: string) => fetch(`${gw.url}/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body });

test('a chat body nested 100,000 levels: 400 before any upstream work; /health answers at once; the next call is served', async () => {
  const deep = `{"model":"m1","messages":[{"role":"user","content":${'['.repeat(100_000)}${']'.repeat(100_000)}}]}`;
  const res = await chat(deep);
  expect(res.status).toBe(400);
  expect(((await res.json()) as any).error.code).toBe('json_too_deep');
  expect(mock.received).toHaveLength(0);
  expect((await fetch(`${gw.url}/health`)).status).toBe(200);
  const metrics = await (await fetch(`${gw.url}/metrics`, { headers: { authorization: `Bearer ${key}` } })).text();
  expect(metrics).not.toMatch(/^aqueduct_upstream_failures_total\{/m);
  expect((await chat('{"model":"m1","messages":[{"role":"user","content":"hi"}]}')).status).toBe(200);
});

test('m1 failing with a fallback to the globally excluded m2: the caller gets the failure, m2 is never called', async () => {
  mock.script('one', { status: 500 });
  const res = await chat('{"model":"m1","messages":[{"role":"user","content":"hi"}]}');
  expect(res.status).toBe(502);
  expect(mock.requestsTo('two')).toHaveLength(0);
});

test("an upstream 401 echoing the deployment's key reaches the caller with the key redacted", async () => {
  mock.script('one', { status: 401, errorBody: '{"error":{"message":"Incorrect API key provided: sk-UPSTREAM-very-secret-1","type":"invalid_request_error","code":"invalid_api_key"}}' });
  const res = await chat('{"model":"m1","messages":[{"role":"user","content":"hi"}]}');
  expect(res.status).toBe(401);
  const text = await res.text();
  expect(text).not.toContain('very-secret');
  expect(JSON.parse(text).error.message).toBe('Incorrect API key provided: [redacted]');
});

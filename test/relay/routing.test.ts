/** Retries, cooldowns, fallbacks, timeouts and upstream error mapping, seen through the openai SDK. */
import { afterAll, beforeEach, describe, expect, test } from 'bun:test';
import OpenAI from 'openai';
import { relayFixture } from '../support/relay-fixture';

const f = relayFixture(`
model_list:
  - model_name: pair
    litellm_params: { model: openai/up-a, api_base: "{{base:a}}", api_key: os.environ/UPSTREAM_KEY }
  - model_name: pair
    litellm_params: { model: openai/up-b, api_base: "{{base:b}}", api_key: os.environ/UPSTREAM_KEY }
  - model_name: solo
    litellm_params: { model: openai/up-solo, api_base: "{{base:solo}}", api_key: os.environ/UPSTREAM_KEY }
  - model_name: primary
    litellm_params: { model: openai/up-primary, api_base: "{{base:primary}}", api_key: os.environ/UPSTREAM_KEY }
  - model_name: backup
    litellm_params: { model: openai/up-backup, api_base: "{{base:backup}}", api_key: os.environ/UPSTREAM_KEY }
    model_info: { aliases: [spare] }
  - model_name: slow
    litellm_params: { model: openai/up-slow, api_base: "{{base:slow}}", timeout: 0.3 }
  - model_name: nowhere
    litellm_params: { model: openai/up-none, api_base: "http://127.0.0.1:9/v1" }
router_settings:
  fallbacks: [{ primary: [spare] }]
  cooldown_time: 30
  allowed_fails: 2
`);
afterAll(() => f.close());
beforeEach(() => f.reset());

const ask = (model: string, client = f.client()) => client.chat.completions.create({ model, messages: [{ role: 'user', content: 'ping' }] });

describe('routing', () => {
  test('several deployments share the load', async () => {
    for (let i = 0; i < 40; i++) await ask('pair');
    const a = f.mock.requestsTo('a').length;
    const b = f.mock.requestsTo('b').length;
    expect(a + b).toBe(40);
    expect(a).toBeGreaterThan(5);
    expect(b).toBeGreaterThan(5);
  });

  test('a failing deployment is retried on the healthy one; the caller never sees it, then it cools down', async () => {
    f.mock.script('a', ...Array(50).fill({ status: 500 }));
    for (let i = 0; i < 10; i++) {
      const res = await ask('pair');
      expect(res.choices[0]!.message.content).toBe('echo: ping');
    }
    // allowed_fails 2: after two failures "a" sits out, so later calls go straight to "b".
    expect(f.mock.requestsTo('a').length).toBeLessThanOrEqual(2);
    expect(f.mock.requestsTo('b').length).toBe(10);
    expect(f.gw.usageRows().every((r) => r.status === 200 && r.deployment === 'pair#1')).toBe(true);
  });

  test('a single deployment: 429 with Retry-After is waited out and retried', async () => {
    f.mock.script('solo', { status: 429, headers: { 'retry-after-ms': '150' } });
    const t0 = performance.now();
    const res = await ask('solo');
    expect(res.choices[0]!.message.content).toBe('echo: ping');
    expect(performance.now() - t0).toBeGreaterThanOrEqual(140);
    expect(f.mock.requestsTo('solo')).toHaveLength(2);
  });

  test('all attempts failing → 502 after num_retries (default 2) retries', async () => {
    f.mock.script('solo', ...Array(5).fill({ status: 500 }));
    const err = await ask('solo').catch((e) => e);
    expect(err).toBeInstanceOf(OpenAI.InternalServerError);
    expect(err.status).toBe(502);
    // The gateway's own words, naming the model and the request; the upstream's body stays in the log.
    expect(err.message).toMatch(/The upstream for model solo failed \(500\) \(request req_\w+\)/);
    expect(err.message).not.toContain('mock upstream failure');
    expect(f.mock.requestsTo('solo')).toHaveLength(3);
    expect(f.gw.usageRows()[0]).toMatchObject({ status: 502, model: 'solo' });
  });

  test('upstream 429 that persists → 429 with Retry-After (SDK RateLimitError)', async () => {
    f.mock.script('solo', ...Array(5).fill({ status: 429, headers: { 'retry-after-ms': '10' } }));
    const err = await ask('solo').catch((e) => e);
    expect(err).toBeInstanceOf(OpenAI.RateLimitError);
    expect(err.headers.get('retry-after')).toBe('1');
  });

  test('upstream 4xx → same status and message, not retried, x-should-retry false', async () => {
    f.mock.script('solo', { status: 400 });
    const err = await ask('solo').catch((e) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect(err.message).toContain('mock upstream failure 400');
    expect(err.headers.get('x-should-retry')).toBe('false');
    expect(f.mock.requestsTo('solo')).toHaveLength(1);
  });

  test('fallbacks: when the model is exhausted, the fallback answers', async () => {
    f.mock.script('primary', ...Array(5).fill({ status: 503 }));
    const res = await ask('primary');
    expect(res.choices[0]!.message.content).toBe('echo: ping');
    expect(f.mock.requestsTo('primary')).toHaveLength(3);
    expect(f.mock.requestsTo('backup')).toHaveLength(1);
    expect(f.mock.requestsTo('backup')[0]!.body.model).toBe('up-backup');
    expect(f.gw.usageRows()[0]).toMatchObject({ model: 'backup', deployment: 'backup#4', status: 200 });
  });

  test('timeout (connect and first byte) → 504, and a long generation within it is fine', async () => {
    f.mock.script('slow', ...Array(3).fill({ stallMs: 1000 }));
    const t0 = performance.now();
    const err = await ask('slow').catch((e) => e);
    expect(err).toBeInstanceOf(OpenAI.APIError);
    expect(err.status).toBe(504);
    expect(err.headers.get('x-should-retry')).toBe('false');
    expect(performance.now() - t0).toBeLessThan(2500);
    f.mock.reset();
    f.mock.script('slow', { stallMs: 150 });
    expect((await ask('slow')).choices[0]!.message.content).toBe('echo: ping');
  });

  test('unreachable upstream → 503', async () => {
    const err = await ask('nowhere').catch((e) => e);
    expect(err).toBeInstanceOf(OpenAI.InternalServerError);
    expect(err.status).toBe(503);
    expect(f.gw.usageRows()[0]).toMatchObject({ status: 503, model: 'nowhere' });
  });
});

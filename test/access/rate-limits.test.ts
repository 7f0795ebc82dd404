/** Per-key rate limits: multipliers, token limits, precedence, exactness under concurrency, 429 shape. */
import { afterAll, beforeEach, describe, expect, test } from 'bun:test';
import OpenAI from 'openai';
import { InMemoryRateLimiter } from '../../src/domain/rate-limiter';
import { relayFixture } from '../support/relay-fixture';

const f = relayFixture(`
model_list:
  - model_name: m
    litellm_params: { model: openai/up, api_base: "{{base:m}}" }
    model_info: { aliases: [alias-m] }
  - model_name: double
    litellm_params: { model: openai/up2, api_base: "{{base:m}}" }
    model_info: { request_limit_multiplier: 2 }
  - model_name: half
    litellm_params: { model: openai/up3, api_base: "{{base:m}}" }
    model_info: { request_limit_multiplier: 0.5 }
  - model_name: emb
    litellm_params: { model: openai/e, api_base: "{{base:m}}" }
    model_info: { mode: embedding }
`);
afterAll(() => f.close());
beforeEach(() => f.reset());

/** A fresh user (with its own key) whose limits are set on the user level. */
async function keyWithUserLimits(limits: { rpm?: number; itpm?: number; otpm?: number }): Promise<string> {
  const email = `rl${Math.random().toString(36).slice(2)}@example.com`;
  const key = f.gw.newKey(email);
  const user = (await f.gw.directory.userByEmail(email))!;
  await f.gw.directory.updateUser(user.id, limits);
  f.gw.keys.reload();
  return key;
}

async function countPassing(key: string, model: string, attempts: number): Promise<number> {
  let ok = 0;
  for (let i = 0; i < attempts; i++) {
    const res = await f.gw.request('POST', '/v1/chat/completions', { key, body: { model, messages: [{ role: 'user', content: 'x' }] } });
    if (res.status === 200) ok++;
    else expect(res.status).toBe(429);
    await res.arrayBuffer();
  }
  return ok;
}

describe('rate limits', () => {
  test('rpm N: N pass, the next is refused; with multiplier 2, 2N pass; with 0.5, N/2 (rounded up) pass', async () => {
    expect(await countPassing(await keyWithUserLimits({ rpm: 3 }), 'm', 5)).toBe(3);
    expect(await countPassing(await keyWithUserLimits({ rpm: 3 }), 'double', 8)).toBe(6);
    expect(await countPassing(await keyWithUserLimits({ rpm: 3 }), 'half', 4)).toBe(2);
    // Aliases cost what their model costs.
    expect(await countPassing(await keyWithUserLimits({ rpm: 2 }), 'alias-m', 4)).toBe(2);
  });

  test('the 429: OpenAI shape, the limit named, Retry-After and x-ratelimit headers; the SDK raises RateLimitError', async () => {
    const key = await keyWithUserLimits({ rpm: 1 });
    const client = f.client({ key });
    const first = await client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'x' }] }).withResponse();
    expect(first.response.headers.get('x-ratelimit-limit-requests')).toBe('1');
    expect(first.response.headers.get('x-ratelimit-remaining-requests')).toBe('0');
    expect(first.response.headers.get('x-ratelimit-reset-requests')).toMatch(/^(\d+ms|\d+s|1m0s)$/);
    const err = await client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'x' }] }).catch((e) => e);
    expect(err).toBeInstanceOf(OpenAI.RateLimitError);
    expect(err.code).toBe('rate_limit_exceeded');
    expect(err.message).toContain('Request limit (1/min)');
    const retryAfter = Number(err.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(Number(err.headers.get('retry-after-ms'))).toBeGreaterThan(0);
    expect(err.headers.get('x-ratelimit-remaining-requests')).toBe('0');
    // Refused calls never reach the upstream and are not billed.
    expect(f.mock.received).toHaveLength(1);
    expect(f.gw.usageRows()).toHaveLength(1);
  });

  test('input and output token limits refuse the call after the one that crossed them', async () => {
    // The mock answers "echo: x" to "x": 4 prompt tokens (x + 3 per message), 2 completion tokens.
    expect(await countPassing(await keyWithUserLimits({ itpm: 5 }), 'm', 3)).toBe(2);
    expect(await countPassing(await keyWithUserLimits({ otpm: 3 }), 'm', 3)).toBe(2);
    const key = await keyWithUserLimits({ itpm: 3, otpm: 1 });
    await countPassing(key, 'm', 1);
    const res = await f.gw.request('POST', '/v1/chat/completions', { key, body: { model: 'm', messages: [{ role: 'user', content: 'x' }] } });
    const body = (await res.json()) as { error: { message: string } };
    expect(body.error.message).toContain('Input token limit (3/min)');
    expect(body.error.message).toContain('Output token limit (1/min)');
  });

  test('streamed calls count their tokens when the stream ends', async () => {
    const key = await keyWithUserLimits({ otpm: 2 });
    const client = f.client({ key });
    for await (const _ of await client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'x' }], stream: true }));
    const err = await client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'x' }] }).catch((e) => e);
    expect(err).toBeInstanceOf(OpenAI.RateLimitError);
  });

  test('precedence: key beats user beats org; a service-account key uses its team; each key has its own budget', async () => {
    const dir = f.gw.directory;
    const org = await dir.createOrg(`org-${Math.random()}`);
    await dir.updateOrg(org.id, { rpm: 1 });
    const user = await dir.createUser(`p${Math.random()}@example.com`, org.id);
    const k1 = await dir.tokens.createKey(user.id, 'one');
    const k2 = await dir.tokens.createKey(user.id, 'two');
    f.gw.keys.reload();
    expect(await countPassing(k1.key, 'm', 3)).toBe(1); // the org's limit
    expect(await countPassing(k2.key, 'm', 3)).toBe(1); // its own budget
    await dir.updateUser(user.id, { rpm: 2 });
    const k3 = await dir.tokens.createKey(user.id, 'three');
    f.gw.keys.reload();
    expect(await countPassing(k3.key, 'm', 4)).toBe(2); // the user's limit beats the org's
    const k4 = await dir.tokens.createKey(user.id, 'four');
    await dir.tokens.updateKey(k4.id, { rpm: 4 });
    f.gw.keys.reload();
    expect(await countPassing(k4.key, 'm', 6)).toBe(4); // the key's own limit beats both
    const team = await dir.createTeam(org.id, 'limited');
    await dir.updateTeam(team.id, { rpm: 3 });
    const sa = await dir.createServiceAccount(team.id, 'bot', '', user.id);
    f.gw.keys.reload();
    expect(await countPassing(sa.key, 'm', 5)).toBe(3); // the team's, not the user's
  });

  test('limits apply to model endpoints only, not to /models or the admin API', async () => {
    const key = await keyWithUserLimits({ rpm: 1 });
    expect(await countPassing(key, 'm', 1)).toBe(1);
    for (let i = 0; i < 3; i++) {
      expect((await f.gw.request('GET', '/v1/models', { key })).status).toBe(200);
      expect((await f.gw.request('GET', '/admin/me', { key })).status).toBe(200);
    }
    const res = await f.gw.request('POST', '/v1/embeddings', { key, body: { model: 'emb', input: 'x' } });
    expect(res.status).toBe(429);
  });

  test('exact under concurrency: with rpm 20, 50 concurrent calls → exactly 20 pass', async () => {
    const key = await keyWithUserLimits({ rpm: 20 });
    const client = f.client({ key });
    const results = await Promise.all(
      Array.from({ length: 50 }, () => client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'x' }] }).then(() => 'ok', (e) => (e instanceof OpenAI.RateLimitError ? '429' : String(e)))),
    );
    expect(results.filter((r) => r === 'ok')).toHaveLength(20);
    expect(results.filter((r) => r === '429')).toHaveLength(30);
  });
});

describe('the sliding window', () => {
  test('budget comes back as the window slides, and Retry-After says when', () => {
    let now = 1_000_000_000_000;
    const limiter = new InMemoryRateLimiter(() => now);
    const limits = { rpm: 2, itpm: null, otpm: null };
    expect(limiter.admit(1, limits, 1).allowed).toBe(true);
    now += 20_000;
    expect(limiter.admit(1, limits, 1).allowed).toBe(true);
    const refused = limiter.admit(1, limits, 1);
    expect(refused.allowed).toBe(false);
    expect(refused.retryAfterMs).toBe(40_000); // when the first request leaves the window
    now += 40_000;
    expect(limiter.admit(1, limits, 1).allowed).toBe(true);
    expect(limiter.admit(1, limits, 1).allowed).toBe(false);
    expect(limiter.admit(2, limits, 1).allowed).toBe(true); // another key, another budget
    limiter.close();
  });
});

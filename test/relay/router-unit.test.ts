import { describe, expect, test } from 'bun:test';
import { parseRouterConfig } from '../../src/config/router-config';
import { ENDPOINTS } from '../../src/config/endpoints';
import { UpstreamExhausted, UpstreamRouter } from '../../src/upstream/router';

function router(strategy: string, weights = [1, 1]) {
  const yaml = `model_list:\n${weights
    .map((w, i) => `  - model_name: m\n    litellm_params: { model: openai/u${i}, api_base: "http://127.0.0.1:1/v1", weight: ${w} }\n`)
    .join('')}routing_strategy: ${strategy}\nallowed_fails: 1\ncooldown_time: 60\n`;
  const { config, problems } = parseRouterConfig(yaml, {});
  expect(problems).toEqual([]);
  return { r: new UpstreamRouter(config), model: config.models.get('m')! };
}

describe('deployment choice', () => {
  test('least-busy picks the deployment with fewer calls in flight', () => {
    const { r, model } = router('least-busy');
    const [a, b] = model.deployments;
    r.health.start(a!);
    for (let i = 0; i < 20; i++) expect(r.choose(model).id).toBe(b!.id);
    r.health.start(b!);
    r.health.start(b!);
    for (let i = 0; i < 20; i++) expect(r.choose(model).id).toBe(a!.id);
  });

  test('simple-shuffle follows the weights', () => {
    const { r, model } = router('simple-shuffle', [9, 1]);
    let first = 0;
    for (let i = 0; i < 2000; i++) if (r.choose(model).id === 'm#0') first++;
    expect(first).toBeGreaterThan(1600);
    expect(first).toBeLessThan(1950);
  });

  test('a deployment in cooldown is avoided; untried deployments come first', () => {
    const { r, model } = router('simple-shuffle');
    const [a, b] = model.deployments;
    r.health.failed(a!); // allowed_fails 1 → cools down
    for (let i = 0; i < 20; i++) expect(r.choose(model).id).toBe(b!.id);
    r.health.succeeded(a!);
    for (let i = 0; i < 20; i++) expect(r.choose(model, new Set([a!.id])).id).toBe(b!.id);
  });
});

describe('a request that cannot be built', () => {
  test('is the caller\'s failure: not sent, not retried, not counted against any deployment', async () => {
    const { r, model } = router('simple-shuffle');
    const events: unknown[] = [];
    r.onEvent = (e) => events.push(e);
    // JSON cannot encode a BigInt: building the upstream request fails before anything is sent.
    const err = await r.send([model], ENDPOINTS.chat, { model: 'm', messages: [], n: 10n }, new AbortController().signal).catch((e) => e);
    expect(err).toBeInstanceOf(UpstreamExhausted);
    expect(err.failure.kind).toBe('request');
    expect(events).toEqual([]);
    for (const d of model.deployments) expect(r.health.coolingDown(d)).toBe(false);
  });
});

/** /metrics: Prometheus text for admin keys, fed by every request (the same events as the access log). */
import { afterAll, describe, expect, test } from 'bun:test';
import { Metrics } from '../../src/domain/metrics';
import { RouteLabels } from '../../src/domain/route-labels';
import { relayFixture } from '../support/relay-fixture';

const f = relayFixture(`
model_list:
  - model_name: m
    litellm_params: { model: openai/up, api_base: "{{base:m}}" }
`);
afterAll(() => f.close());

describe('metrics', () => {
  test('requests, latency, TTFT, tokens, retries, failures and rate-limit refusals', async () => {
    const client = f.client();
    await client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'a b' }] });
    for await (const _ of await client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'c' }], stream: true }));
    f.mock.script('m', { status: 500 });
    await client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'retry' }] });
    const limited = f.gw.newKey('metrics-limited@example.com');
    await f.gw.directory.updateUser((await f.gw.directory.userByEmail('metrics-limited@example.com'))!.id, { rpm: 1 });
    f.gw.keys.reload();
    await f.gw.request('POST', '/v1/chat/completions', { key: limited, body: { model: 'm', messages: [{ role: 'user', content: 'x' }] } });
    await f.gw.request('POST', '/v1/chat/completions', { key: limited, body: { model: 'm', messages: [{ role: 'user', content: 'x' }] } });
    const res = await f.gw.request('GET', '/metrics');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    const text = await res.text();
    expect(text).toContain('aqueduct_requests_total{model="m",route="/v1/chat/completions",status="200"} 4');
    expect(text).toContain('aqueduct_requests_total{model="m",route="/v1/chat/completions",status="429"} 1');
    expect(text).toMatch(/aqueduct_request_duration_seconds_count\{route="\/v1\/chat\/completions"\} 5/);
    expect(text).toMatch(/aqueduct_time_to_first_token_seconds_count\{model="m"\} 1/);
    expect(text).toContain('aqueduct_tokens_total{direction="input",model="m"}');
    expect(text).toContain('aqueduct_upstream_retries_total{model="m"} 1');
    expect(text).toContain('aqueduct_upstream_failures_total{deployment="m#0",kind="500"} 1');
    expect(text).toContain('aqueduct_rate_limited_total{model="m"} 1');
  });

  test('admins only: another key gets 404, no key 401', async () => {
    expect((await f.gw.request('GET', '/metrics', { key: f.gw.newKey('not-admin@example.com') })).status).toBe(404);
    expect((await f.gw.request('GET', '/metrics', { key: null })).status).toBe(401);
  });

  test('routes are labelled by their template: ids stay out of label values, unknown paths share one label', () => {
    const routeOf = (path: string) => new RouteLabels(f.gw.app.routes.map((r) => r.path)).of(path);
    expect(routeOf('/v1/chat/completions')).toBe('/v1/chat/completions');
    expect(routeOf('/files/file-AbC123')).toBe('/files/{id}');
    expect(routeOf('/v1/x-no-such-route')).toBe('unmatched');
    expect(routeOf('/v1/files/file-AbC123/content/extra')).toBe('unmatched');
    expect(routeOf('/v1/files/file-AbC123/content')).toBe('/v1/files/{id}/content');
    expect(routeOf('/v1/models/Qwen/Qwen2.5')).toBe('/v1/models/{model}');
    expect(routeOf('/admin/users/17')).toBe('/admin/users/{id}');
    expect(routeOf('/mcp-servers/everything/mcp')).toBe('/mcp-servers/{name}/mcp');
  });

  test('histogram buckets are cumulative and label values are escaped', () => {
    const m = new Metrics();
    m.labelRoutes(['/v1/models']);
    for (const ms of [3, 40, 40, 700, 200_000]) m.observe({ request_id: 'r', method: 'GET', path: '/v1/models', status: 200, latency_ms: ms, model: 'a"b\\c' });
    const text = m.render();
    expect(text).toContain('aqueduct_request_duration_seconds_bucket{route="/v1/models",le="0.005"} 1');
    expect(text).toContain('aqueduct_request_duration_seconds_bucket{route="/v1/models",le="0.05"} 3');
    expect(text).toContain('aqueduct_request_duration_seconds_bucket{route="/v1/models",le="1"} 4');
    expect(text).toContain('aqueduct_request_duration_seconds_bucket{route="/v1/models",le="120"} 4');
    expect(text).toContain('aqueduct_request_duration_seconds_bucket{route="/v1/models",le="+Inf"} 5');
    expect(text).toContain('aqueduct_requests_total{model="a\\"b\\\\c",route="/v1/models",status="200"} 5');
  });
});

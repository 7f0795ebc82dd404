/**
 * Hostile input: thousands of generated malformed or mutated bodies per JSON endpoint (no 5xx, the server
 * stays alive), odd paths and query strings, and thousands of random keys (identical 401s, nothing in logs).
 */
import { afterAll, describe, expect, test } from 'bun:test';
import { MockUpstream } from '../support/mock-upstream';
import { testGateway } from '../support/app';

const mock = new MockUpstream(false).start();
mock.profiles.set('h', { latencyMs: 0, chunkDelayMs: 0, extraWords: 0 });
const logLines: string[] = [];
const capture = (level: string) => (msg: string, fields?: Record<string, unknown>) => logLines.push(`${level} ${msg} ${JSON.stringify(fields ?? {})}`);
const gw = testGateway({
  routerYaml: `
model_list:
  - { model_name: chat, litellm_params: { model: openai/c, api_base: "${mock.base('h')}" }, model_info: { mode: chat } }
  - { model_name: text, litellm_params: { model: openai/t, api_base: "${mock.base('h')}" }, model_info: { mode: completion } }
  - { model_name: embed, litellm_params: { model: openai/e, api_base: "${mock.base('h')}" }, model_info: { mode: embedding } }
  - { model_name: tts, litellm_params: { model: openai/s, api_base: "${mock.base('h')}" }, model_info: { mode: audio_speech } }
  - { model_name: image, litellm_params: { model: openai/i, api_base: "${mock.base('h')}" }, model_info: { mode: image_generations } }
`,
  log: { debug: capture('debug'), info: capture('info'), warn: capture('warn'), error: capture('error') },
});
afterAll(async () => {
  gw.close();
  await mock.stop();
});

/** A deterministic pseudo-random generator, so a failure can be replayed. */
function rng(seed: number) {
  return () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
}

const VALID: Record<string, object> = {
  '/v1/chat/completions': { model: 'chat', messages: [{ role: 'user', content: 'hi' }], temperature: 0.5, stream: false },
  '/v1/completions': { model: 'text', prompt: 'hi', max_tokens: 5 },
  '/v1/embeddings': { model: 'embed', input: ['a', 'b'], encoding_format: 'float' },
  '/v1/audio/speech': { model: 'tts', input: 'hi', voice: 'alloy' },
  '/v1/images/generations': { model: 'image', prompt: 'a cat', n: 1 },
  '/admin/keys': { name: 'k', expires_in: 3600 },
  '/admin/teams': { name: 't', description: 'd' },
  '/admin/users': { email: 'x@y.z', role: 'user' },
};
const WEIRD: unknown[] = [null, true, false, 0, -1, 1.5, 1e308, -1e308, '', 'x', 'a'.repeat(5000), '\u0000\uffff', '😀', [], [null], [1, 'a', {}], {}, { $gt: '' }, { __proto__: { admin: true } }, "'; DROP TABLE usage; --", '../../etc/passwd', NaN];

function mutate(value: unknown, r: () => number, depth = 0): unknown {
  const pick = <T>(xs: T[]) => xs[Math.floor(r() * xs.length)]!;
  if (depth > 3 || r() < 0.3) return pick(WEIRD);
  if (Array.isArray(value)) return r() < 0.5 ? value.map((v) => mutate(v, r, depth + 1)) : [...value, pick(WEIRD)];
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = { ...(value as object) };
    const keys = Object.keys(out);
    const k = keys.length && r() < 0.7 ? pick(keys) : pick(['model', 'messages', 'stream', 'extra', 'input', 'n', 'user_id', 'stream_options']);
    if (r() < 0.2) delete out[k];
    else out[k] = mutate(out[k], r, depth + 1);
    return out;
  }
  return pick(WEIRD);
}

function serialise(body: unknown, r: () => number): string {
  const text = JSON.stringify(body) ?? 'null';
  const roll = r();
  if (roll < 0.05) return text.slice(0, Math.floor(r() * text.length)); // truncated
  if (roll < 0.08) return text.replace(/"/g, "'"); // not JSON
  if (roll < 0.1) return `${text}${text}`; // two documents
  return text;
}

describe('hostile input', () => {
  test('2,000 generated bodies per JSON endpoint: no 5xx caused by the gateway, the server stays alive', async () => {
    const r = rng(42);
    let total = 0;
    const statuses = new Map<number, number>();
    for (const [path, valid] of Object.entries(VALID)) {
      const t0 = performance.now();
      for (let i = 0; i < 2000; i++) {
        const body = serialise(mutate(valid, r), r);
        const res = await gw.request('POST', path, { body, headers: { 'content-type': 'application/json' } });
        await res.arrayBuffer();
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        total++;
        if (res.status >= 500) throw new Error(`${path} answered ${res.status} to ${body.slice(0, 300)}`);
      }
      if (process.env.HOSTILE_TIMING) console.log(path, Math.round(performance.now() - t0), 'ms');
    }
    expect(total).toBe(16_000);
    expect(statuses.get(200)).toBeGreaterThan(100); // some mutations stay valid and really go through
    expect((await gw.request('GET', '/health')).status).toBe(200);
    expect(logLines.filter((l) => l.startsWith('error'))).toEqual([]);
  }, 120_000);

  test('odd ids, traversal and SQL-like query strings are harmless 4xx', async () => {
    const paths = [
      '/v1/files/..%2F..%2Fetc%2Fpasswd', '/v1/files/%00', "/v1/files/file-x'%20OR%201=1--", '/v1/files/file-aaaaaaaaaaaaaaaaaaaaaaaa/content',
      '/v1/batches/batch_%27%3B', "/v1/files?after=' OR '1'='1", '/v1/files?limit=-1', '/v1/files?limit=99999999999', '/v1/files?order=sideways',
      "/admin/usage?since=1h' UNION SELECT * FROM api_keys--", '/admin/usage?group_by=key;DROP', '/admin/users/1%20OR%201=1', '/admin/keys?user_id=1;--',
      '/v1/models/%2e%2e%2f%2e%2e', '/mcp-servers/..%2f/mcp', '/v1/batches?after=%27',
    ];
    for (const p of paths) {
      const res = await gw.request('GET', p, { headers: { host: 'localhost:1' } });
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
      const text = await res.text();
      expect(text).not.toContain('root:');
      expect(text).not.toContain('SQLITE');
    }
    expect(gw.db.sqlite.query("SELECT count(*) AS n FROM sqlite_master WHERE name = 'usage'").get()).toEqual({ n: 1 });
  });

  test('5,000 random keys → identical 401s; no key or key hash in any log line', async () => {
    const r = rng(7);
    const bodies = new Set<string>();
    const keys: string[] = [];
    for (let i = 0; i < 5000; i++) {
      const key = `sk-${Array.from({ length: 43 }, () => 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'[Math.floor(r() * 64)]).join('')}`;
      keys.push(key);
      const res = await gw.request(i % 2 ? 'GET' : 'POST', i % 2 ? '/v1/models' : '/v1/chat/completions', { key, body: i % 2 ? undefined : VALID['/v1/chat/completions'] });
      expect(res.status).toBe(401);
      bodies.add(await res.text());
    }
    expect(bodies.size).toBe(1);
    const logged = logLines.join('\n');
    expect(logged).not.toContain(gw.adminKey);
    for (const k of keys.slice(0, 50)) expect(logged).not.toContain(k);
    const hashes = gw.db.sqlite.query<{ key_hash: string }, []>('SELECT key_hash FROM api_keys').all();
    for (const h of hashes) expect(logged).not.toContain(h.key_hash);
  }, 60_000);

  test('oversized bodies are refused with 413 before being read; wrong content types with 415', async () => {
    const big = 'x'.repeat(33 * 1024 * 1024);
    const res = await gw.request('POST', '/v1/chat/completions', { body: `{"model":"chat","messages":[{"role":"user","content":"${big}"}]}` });
    expect(res.status).toBe(413);
    for (const ct of ['text/plain', 'application/xml', 'multipart/form-data; boundary=x', 'application/x-www-form-urlencoded']) {
      const r = await gw.request('POST', '/v1/chat/completions', { body: 'model=chat', headers: { 'content-type': ct } });
      expect(r.status).toBe(415);
    }
  });
});

import { describe, expect, test } from 'bun:test';
import { Database } from 'bun:sqlite';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hashKey, keyPreview } from '../../src/domain/api-key';
import { openDatabase } from '../../src/db/connection';
import { migrate } from '../../src/db/migrate';
import { createKeyCache } from '../../src/domain/key-cache';
import { TokenService } from '../../src/domain/tokens';
import { expectOpenAIError, testGateway } from '../support/app';

describe('authentication', () => {
  test('missing, malformed, unknown, expired and revoked keys → identical 401s', async () => {
    const gw = testGateway();
    const expired = gw.newKey('late@example.com', { expiresAt: Date.now() - 1 });
    const revokedKey = gw.newKey('gone@example.com');
    const revokedId = (await gw.tokens.listKeys({ email: 'gone@example.com' }))[0]!.id;
    expect(await gw.tokens.revokeKey(revokedId)).toBe(true);
    gw.keys.reload();

    const bodies = new Set<string>();
    for (const headers of [{} as Record<string, string>, { authorization: 'Basic abc' }, { authorization: 'Bearer ' }, { authorization: 'Bearer sk-unknown' }, { authorization: `Bearer ${expired}` }, { authorization: `Bearer ${revokedKey}` }]) {
      const res = await gw.request('GET', '/v1/models', { key: null, headers });
      const e = await expectOpenAIError(res, 401);
      expect(e.code).toBe('invalid_api_key');
      bodies.add(JSON.stringify(e));
    }
    expect(bodies.size).toBe(1);
    gw.close();
  });

  test('every 401 carries WWW-Authenticate: Bearer (error="invalid_token" only when a token was presented)', async () => {
    const gw = testGateway();
    const routes: [string, string][] = [
      ...['/v1/chat/completions', '/chat/completions', '/v1/completions', '/v1/embeddings', '/v1/audio/speech', '/v1/images/generations'].map((p): [string, string] => ['POST', p]),
      ['GET', '/v1/files'],
      ['GET', '/admin/me'],
      ['GET', '/mcp-servers'],
      ['POST', '/mcp-servers/everything/mcp'],
      ['GET', '/metrics'],
    ];
    const cases: [Record<string, string>, string][] = [
      [{}, 'Bearer realm="aqueduct"'],
      [{ authorization: 'Basic abc' }, 'Bearer realm="aqueduct"'],
      [{ authorization: 'Bearer sk-unknown' }, 'Bearer realm="aqueduct", error="invalid_token"'],
    ];
    for (const [method, path] of routes) {
      for (const [headers, challenge] of cases) {
        const res = await gw.request(method, path, { key: null, body: method === 'POST' ? { model: 'x', messages: [] } : undefined, headers: { host: 'localhost:8000', ...headers } });
        expect({ method, path, challenge: res.headers.get('www-authenticate') }).toEqual({ method, path, challenge });
        expect((await expectOpenAIError(res, 401)).code).toBe('invalid_api_key');
      }
    }
    gw.close();
  });

  test('a valid key works bare and under /v1; "bearer" is case-insensitive', async () => {
    const gw = testGateway();
    const key = gw.newKey();
    expect((await gw.request('GET', '/models', { key })).status).toBe(200);
    expect((await gw.request('GET', '/v1/models', { key: null, headers: { authorization: `bearer ${key}` } })).status).toBe(200);
    gw.close();
  });

  test('a key that expires while cached stops working at its expiry', async () => {
    const gw = testGateway();
    const key = gw.newKey('soon@example.com', { expiresAt: Date.now() + 150 });
    expect((await gw.request('GET', '/v1/models', { key })).status).toBe(200);
    await Bun.sleep(200);
    expect((await gw.request('GET', '/v1/models', { key })).status).toBe(401);
    gw.close();
  });

  test('keys are stored hashed, with a preview', () => {
    const gw = testGateway();
    const key = gw.newKey('hash@example.com');
    expect(key).toMatch(/^sk-[A-Za-z0-9_-]{43}$/);
    const rows = gw.db.sqlite.query<Record<string, unknown>, []>('SELECT * FROM api_keys').all();
    const dump = JSON.stringify(rows);
    expect(dump).not.toContain(key);
    expect(dump).toContain(hashKey(key));
    expect(dump).toContain(keyPreview(key));
    expect(keyPreview(key)).toMatch(/^sk-\.\.\..{4}$/);
    gw.close();
  });

  test('a key created by another process works at once; a revocation is honoured within the refresh interval', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'aq-auth-'));
    const server = openDatabase(dir);
    migrate(server.sqlite);
    const cache = createKeyCache(server.sql, 30);
    await cache.ready;
    // "Another process": a second connection, as the CLI would open.
    const cli = openDatabase(dir);
    const tokens = new TokenService(cli.sql);
    const { key, id } = await tokens.createKey((await tokens.ensureUser('cli@example.com')).id);
    expect((await cache.authenticate(key))?.email).toBe('cli@example.com');
    await tokens.revokeKey(id);
    await Bun.sleep(120);
    expect(cache.byKeyId(id)).toBeUndefined(); // the refresh tick applied it (no lookup on this key's behalf)
    expect(await cache.authenticate(key)).toBeUndefined();
    await cache.close();
    cli.close();
    server.close();
    expect(new Database(join(dir, 'aqueduct.db')).query('PRAGMA journal_mode').get()).toEqual({ journal_mode: 'wal' });
  });
});

describe('last used', () => {
  test("a key's last-used time is recorded off the request path", async () => {
    const gw = testGateway();
    const key = gw.newKey('used@example.com');
    const [before] = await gw.tokens.listKeys({ email: 'used@example.com' });
    expect(before!.lastUsedAt).toBeNull();
    const t0 = Date.now();
    expect((await gw.request('GET', '/v1/models', { key })).status).toBe(200);
    await Bun.sleep(120); // the test cache refreshes every 50 ms
    const [after] = await gw.tokens.listKeys({ email: 'used@example.com' });
    expect(after!.lastUsedAt).toBeGreaterThanOrEqual(t0);
    gw.close();
  });
});

/** Operator commands (org, team, user, service-account, limits, exclude, usage), run in-process on a data dir. */
import { describe, expect, test } from 'bun:test';
import { main } from '../../src/cli/main';
import { openDatabase } from '../../src/db/connection';
import { createKeyCache } from '../../src/domain/key-cache';
import { tempDir } from '../support/binary';

const dataDir = tempDir('aq-cli-');

async function run(...argv: string[]) {
  let out = '';
  let err = '';
  const code = await main([...argv, '--data-dir', dataDir], { out: (t) => (out += `${t}\n`), err: (t) => (err += `${t}\n`), env: {} });
  return { code, out, err };
}

/** The effective access of a key, as the gateway's key cache resolves it. */
async function principal(key: string) {
  const h = openDatabase(dataDir);
  const cache = createKeyCache(h.sql, 60_000, { excludedModels: [], excludedMcpServers: [] });
  const p = await cache.authenticate(key);
  await cache.close();
  h.close();
  return p!;
}

describe('operator commands', () => {
  test('orgs, users, teams, members, service accounts', async () => {
    expect((await run('org', 'create', 'physics')).code).toBe(0);
    expect((await run('org', 'create', 'physics')).code).toBe(1); // duplicate
    expect((await run('org', 'list')).out).toContain('physics');
    expect((await run('user', 'create', 'emmy@physics.example', '--org', 'physics', '--role', 'org-admin')).code).toBe(0);
    expect((await run('user', 'create', 'lise@physics.example', '--org', 'physics')).code).toBe(0);
    expect((await run('user', 'create', 'bad-role@x.example', '--role', 'king')).code).toBe(2);
    expect((await run('user', 'set-role', 'lise@physics.example', 'org-admin')).code).toBe(0);
    expect((await run('user', 'list', '--org', 'physics')).out).toMatch(/lise@physics\.example\s+physics\s+org-admin/);
    expect((await run('team', 'create', 'optics', '--org', 'physics', '--description', 'light')).code).toBe(0);
    expect((await run('team', 'add-member', '--team', 'optics', '--org', 'physics', '--user', 'emmy@physics.example', '--admin')).code).toBe(0);
    expect((await run('team', 'list', '--org', 'physics')).out).toMatch(/optics\s+1/);
    // a user of another org cannot join
    await run('user', 'create', 'outsider@x.example');
    expect((await run('team', 'add-member', '--team', 'optics', '--org', 'physics', '--user', 'outsider@x.example')).code).toBe(2);
    const sa = await run('service-account', 'create', 'ci-bot', '--team', 'optics', '--org', 'physics');
    expect(sa.code).toBe(0);
    const saKey = sa.out.trim();
    expect(saKey).toMatch(/^sk-[A-Za-z0-9_-]{43}$/);
    expect(await principal(saKey)).toMatchObject({ teamId: expect.any(Number), serviceAccountId: expect.any(Number) });
    expect((await run('team', 'remove-member', '--team', 'optics', '--org', 'physics', '--user', 'emmy@physics.example')).code).toBe(0);
    expect((await run('team', 'remove-member', '--team', 'optics', '--org', 'physics', '--user', 'emmy@physics.example')).code).toBe(1);
  });

  test('limits: set on org, team, user and key; --clear; the most specific wins', async () => {
    await run('org', 'create', 'limited');
    await run('user', 'create', 'ada@limited.example', '--org', 'limited');
    const key = (await run('token', 'create', '--user', 'ada@limited.example')).out.trim();
    expect((await run('limits', 'set', '--org', 'limited', '--rpm', '10', '--itpm', '1000')).code).toBe(0);
    expect((await principal(key)).limits).toEqual({ rpm: 10, itpm: 1000, otpm: null });
    await run('limits', 'set', '--user', 'ada@limited.example', '--rpm', '5');
    expect((await principal(key)).limits).toEqual({ rpm: 5, itpm: 1000, otpm: null });
    const id = JSON.parse((await run('token', 'list', '--user', 'ada@limited.example', '--json')).out)[0].id;
    await run('limits', 'set', '--token', String(id), '--otpm', '7');
    expect((await principal(key)).limits).toEqual({ rpm: 5, itpm: 1000, otpm: 7 });
    await run('limits', 'set', '--user', 'ada@limited.example', '--clear');
    expect((await principal(key)).limits).toEqual({ rpm: 10, itpm: 1000, otpm: 7 });
    expect((await run('limits', 'set', '--user', 'ada@limited.example')).code).toBe(2);
    expect((await run('limits', 'set', '--org', 'limited', '--user', 'ada@limited.example', '--rpm', '1')).code).toBe(2);
    expect((await run('limits', 'set', '--org', 'limited', '--rpm', '-3')).code).toBe(2);
  });

  test('exclusions: add, remove, merge on/off', async () => {
    await run('org', 'create', 'excl');
    await run('user', 'create', 'max@excl.example', '--org', 'excl');
    const key = (await run('token', 'create', '--user', 'max@excl.example')).out.trim();
    await run('exclude', 'add', '--org', 'excl', '--model', 'gpt-big');
    await run('exclude', 'add', '--user', 'max@excl.example', '--model', 'gpt-mid');
    await run('exclude', 'add', '--user', 'max@excl.example', '--mcp-server', 'files');
    expect([...(await principal(key)).excludedModels].sort()).toEqual(['gpt-big', 'gpt-mid']);
    expect([...(await principal(key)).excludedMcpServers]).toEqual(['files']);
    await run('exclude', 'merge', '--user', 'max@excl.example', 'off');
    expect([...(await principal(key)).excludedModels]).toEqual(['gpt-mid']);
    await run('exclude', 'remove', '--user', 'max@excl.example', '--model', 'gpt-mid');
    expect([...(await principal(key)).excludedModels]).toEqual([]);
    expect((await run('exclude', 'add', '--user', 'max@excl.example')).code).toBe(2);
  });

  test('usage report on an empty and a filled table', async () => {
    const empty = await run('usage', '--since', '1h');
    expect(empty.code).toBe(0);
    expect(empty.out).toContain('REQUESTS');
    const h = openDatabase(dataDir);
    h.sqlite.run(
      "INSERT INTO usage (created_at, request_id, key_id, user_id, org_id, model, endpoint, status, latency_ms, input_tokens, output_tokens) VALUES (?, 'r1', 1, 1, 1, 'm', 'chat', 200, 12, 5, 3), (?, 'r2', 1, 1, 1, 'm', 'chat', 502, 30, 0, 0)",
      [Date.now(), Date.now()],
    );
    h.close();
    const rows = JSON.parse((await run('usage', '--by', 'model', '--json')).out);
    expect(rows).toEqual([expect.objectContaining({ group: 'm', calls: 'model', requests: 2, failures: 1, input_tokens: 5, output_tokens: 3, p95_latency_ms: 30 })]);
    expect((await run('usage', '--by', 'galaxy')).code).toBe(2);
  });

  test('usage: model and MCP calls are separate reports; times are seconds in JSON and ISO in the table', async () => {
    const h = openDatabase(dataDir);
    // an MCP call as src/routes/mcp.ts records it (model '', mcp_server set), slow
    h.sqlite.run(
      "INSERT INTO usage (created_at, request_id, key_id, user_id, org_id, model, endpoint, status, latency_ms, mcp_server, mcp_tool) VALUES (?, 'r3', 1, 1, 1, '', 'mcp.tools/call', 200, 9000, 'files', 'read')",
      [Date.now()],
    );
    h.close();
    const models = await run('usage');
    expect(models.code).toBe(0);
    expect(models.out.split('\n')[1]).toMatch(/^m\s+2\s+1\s+5\s+3\s+21\s+30$/);
    expect(models.out.trim().split('\n')).toHaveLength(2); // header and m: no blank row for the MCP call
    const mcp = JSON.parse((await run('usage', '--by', 'mcp_server', '--json')).out);
    expect(mcp).toEqual([expect.objectContaining({ group: 'files', calls: 'mcp', requests: 1, input_tokens: 0, p95_latency_ms: 9000 })]);
    const byKey = JSON.parse((await run('usage', '--by', 'key', '--calls', 'mcp', '--json')).out);
    expect(byKey).toEqual([expect.objectContaining({ group: 1, calls: 'mcp', requests: 1 })]);
    const mismatch = await run('usage', '--by', 'mcp_server', '--calls', 'model');
    expect(mismatch.code).toBe(2);
    expect(mismatch.err).toContain('--calls');
    expect((await run('usage', '--calls', 'all')).code).toBe(2);

    const db = openDatabase(dataDir);
    const hours = db.sqlite.query<{ h: number }, []>("SELECT DISTINCT created_at / 3600000 * 3600 AS h FROM usage WHERE model = 'm' ORDER BY h").all().map((r) => r.h);
    db.close();
    const hourly = JSON.parse((await run('usage', '--bucket', 'hour', '--json')).out);
    expect(hourly.map((r: { bucket_start: number }) => r.bucket_start)).toEqual(hours);
    const hour = hours[0]!;
    const table = (await run('usage', '--bucket', 'hour')).out.split('\n');
    expect(table[0]).toMatch(/^BUCKET\s+MODEL\s+REQUESTS/);
    expect(table[1]!.startsWith(`${new Date(hour * 1000).toISOString().slice(0, 19)}Z  m `)).toBe(true);
  });
});

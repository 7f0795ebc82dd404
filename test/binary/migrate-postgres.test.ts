/**
 * The compiled binary carries the PostgreSQL migrations (src/db/pg/migrations.gen.ts embeds drizzle-pg/):
 * `aqueduct migrate --database-url` from an empty directory, three at once, ends on one applied set; and
 * `aqueduct migrate --to` copies a serving gateway's state into PostgreSQL.
 */
import { SQL } from 'bun';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'bun:test';
import { MIGRATIONS } from '../../src/db/pg/migrations.gen';
import { runBinary, startBinary, tempDir } from '../support/binary';
import { type Postgres, startPostgres } from '../support/services/postgres';

let pg: Postgres;

beforeAll(async () => {
  pg = await startPostgres();
});

afterAll(async () => {
  await pg?.stop();
});

test('three binaries migrating one PostgreSQL at once all succeed and apply each migration once', async () => {
  const url = await pg.database();
  const runs = await Promise.all([0, 1, 2].map(() => runBinary(['migrate'], { cwd: tempDir('aq-pg-bin-'), env: { AQUEDUCT_DATABASE_URL: url } })));
  for (const r of runs) expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
  expect(runs.filter((r) => r.stdout.startsWith('applied ')).length).toBeGreaterThanOrEqual(1);
  const sql = new SQL({ url, max: 1 });
  const tags: { tag: string }[] = await sql`SELECT tag FROM schema_migrations ORDER BY tag`;
  expect(tags.map((r) => r.tag)).toEqual(MIGRATIONS.map((m) => m.tag));
  expect(await sql`SELECT to_regclass('public.usage_minute') IS NOT NULL AS ok`).toEqual([{ ok: true }]);
  await sql.close();
});

test('migrate --to copies the state of a gateway that keeps serving, counts verified; a node then serves it from PostgreSQL', async () => {
  const cwd = tempDir('aq-pg-to-');
  for (const args of [['org', 'create', 'acme'], ['user', 'create', 'a@example.com', '--org', 'acme']]) {
    const r = await runBinary(args, { cwd });
    expect({ args, code: r.code }).toEqual({ args, code: 0 });
  }
  const key = (await runBinary(['token', 'create', '--user', 'a@example.com'], { cwd })).stdout.trim();
  expect(key).toMatch(/^sk-/);
  const gw = await startBinary({ cwd });
  const bytes = 'hello from the single node\n'.repeat(100);
  const form = new FormData();
  form.append('purpose', 'user_data');
  form.append('file', new File([bytes], 'note.txt'));
  const upload = await fetch(`${gw.url}/v1/files`, { method: 'POST', headers: { authorization: `Bearer ${key}` }, body: form });
  expect(upload.status).toBe(200);
  const fileId = ((await upload.json()) as { id: string }).id;
  const url = (await pg.database()).replace('postgres@', 'postgres:s3cret@');
  try {
    const r = await runBinary(['migrate', '--to', url], { cwd });
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
    expect(r.stdout).toMatch(/^users\s+1\s+1\s+ok$/m);
    expect(r.stdout).toMatch(/^api_keys\s+1\s+1\s+ok$/m);
    expect(r.stdout).toMatch(/^files\s+1\s+1\s+ok$/m);
    expect(r.stdout).toContain('every count matches');
    expect(r.stdout).not.toContain('s3cret');
  } finally {
    await gw.stop();
  }
  // The round trip: a node on PostgreSQL (its own, empty data directory; the bytes where they were) knows the key
  // and serves the file, and makes no admin of its own (the state is not new).
  const node = await startBinary({ cwd: tempDir('aq-pg-node-'), env: { AQUEDUCT_DATABASE_URL: url, AQUEDUCT_FILE_STORE: join(cwd, 'data/files') } });
  try {
    const models = await fetch(`${node.url}/v1/models`, { headers: { authorization: `Bearer ${key}` } });
    expect(models.status).toBe(200);
    const content = await fetch(`${node.url}/v1/files/${fileId}/content`, { headers: { authorization: `Bearer ${key}` } });
    expect(content.status).toBe(200);
    expect(await content.text()).toBe(bytes);
    expect(existsSync(join(node.cwd, 'data/initial-admin-key'))).toBe(false);
    expect(node.log()).toContain('state in PostgreSQL');
    expect(node.log()).not.toContain('s3cret');
  } finally {
    await node.stop();
  }
});

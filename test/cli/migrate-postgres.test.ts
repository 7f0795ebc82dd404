/**
 * AQUEDUCT_DATABASE_URL: `aqueduct migrate` applies the PostgreSQL migrations to it (credentials never printed);
 * serve accepts it (warning when files would stay on the node), the usage report reads it, backup refuses it
 * (the management commands work on it: operator-commands-postgres.test.ts; serving: test/binary/multi-node.test.ts).
 */
import { SQL } from 'bun';
import { afterAll, beforeAll, expect, test } from 'bun:test';
import { main } from '../../src/cli/main';
import { loadConfig } from '../../src/config/load';
import { MIGRATIONS } from '../../src/db/pg/migrations.gen';
import { tempDir } from '../support/binary';
import { type Postgres, startPostgres } from '../support/services/postgres';

let pg: Postgres;

beforeAll(async () => {
  pg = await startPostgres();
});

afterAll(async () => {
  await pg?.stop();
});

async function run(env: Record<string, string>, ...argv: string[]) {
  let out = '';
  let err = '';
  const code = await main(argv, { out: (t) => (out += `${t}\n`), err: (t) => (err += `${t}\n`), env });
  return { code, out, err };
}

test('migrate applies the PostgreSQL migrations once, naming the database without its credentials', async () => {
  const url = (await pg.database()).replace('postgres@', 'postgres:s3cret@'); // trust auth ignores the password
  const first = await run({ AQUEDUCT_DATABASE_URL: url }, 'migrate');
  expect(first).toMatchObject({ code: 0, err: '' });
  expect(first.out).toContain(`applied ${MIGRATIONS.map((m) => m.tag).join(', ')} to postgres://127.0.0.1:`);
  const again = await run({}, 'migrate', '--database-url', url);
  expect(again.code).toBe(0);
  expect(again.out).toMatch(/postgres:\/\/127\.0\.0\.1:\d+\/test_\w+ is up to date/);
  expect(`${first.out}${again.out}`).not.toContain('s3cret');
  const sql = new SQL({ url, max: 1 });
  expect((await sql`SELECT count(*)::int AS n FROM schema_migrations`)[0].n).toBe(MIGRATIONS.length);
  await sql.close();
});

test('a URL that is not postgres:// is refused without being echoed', async () => {
  const r = await run({ AQUEDUCT_DATABASE_URL: 'mysql://root:s3cret@db/x' }, 'migrate', '--data-dir', tempDir('aq-migrate-'));
  expect(r.code).toBe(1);
  expect(r.err).toContain('AQUEDUCT_DATABASE_URL: expected a postgres:// URL');
  expect(r.err).not.toContain('s3cret');
});

test('serve accepts the URL (a warning when file bytes stay on the node); the usage report reads PostgreSQL; backup refuses', async () => {
  const url = await pg.database();
  const env = { AQUEDUCT_DATABASE_URL: url };
  const loaded = loadConfig(new Map(), env);
  expect(loaded.problems).toEqual([]);
  expect(loaded.warnings).toContainEqual(expect.stringContaining('AQUEDUCT_DATABASE_URL without AQUEDUCT_FILE_STORE'));
  expect(loadConfig(new Map(), { ...env, AQUEDUCT_FILE_STORE: tempDir('aq-shared-') }).warnings.join('\n')).not.toContain('AQUEDUCT_FILE_STORE');

  // A call recorded in PostgreSQL is in the report, read through the same database.
  const sql = new SQL({ url, max: 1 });
  expect((await run(env, 'migrate')).code).toBe(0);
  await sql`INSERT INTO usage (created_at, request_id, key_id, user_id, org_id, model, endpoint, status, input_tokens, output_tokens, latency_ms)
            VALUES (${Date.now() - 60_000}, 'req_pg_report', 1, 1, 1, 'gpt-pg', '/v1/chat/completions', 200, 12, 34, 56)`;
  await sql.close();
  const report = await run(env, 'usage', '--by', 'model', '--json', '--data-dir', tempDir('aq-migrate-'));
  expect({ code: report.code, err: report.err }).toEqual({ code: 0, err: '' });
  expect(JSON.parse(report.out)).toContainEqual(expect.objectContaining({ group: 'gpt-pg', requests: 1, input_tokens: 12, output_tokens: 34 }));

  const backup = await run(env, 'backup', '--data-dir', tempDir('aq-migrate-'), '--out', '/tmp/never.db');
  expect(backup.code).toBe(2);
  expect(backup.err).toContain('pg_dump');
});

test('check-config says whether serve can use the PostgreSQL and how far it is migrated, applying nothing; unreachable is a problem', async () => {
  const url = (await pg.database()).replace('postgres@', 'postgres:s3cret@');
  const env = { AQUEDUCT_DATABASE_URL: url, AQUEDUCT_FILE_STORE: tempDir('aq-shared-') };
  const empty = await run(env, 'check-config');
  expect({ code: empty.code, err: empty.err }).toEqual({ code: 0, err: '' });
  expect(empty.out).toContain(`(reachable, empty: serve applies all ${MIGRATIONS.length} migrations at start)`);
  const sql = new SQL({ url, max: 1 });
  expect(await sql`SELECT to_regclass('public.schema_migrations') IS NULL AS untouched`).toEqual([{ untouched: true }]);
  await sql.close();
  expect((await run(env, 'migrate')).code).toBe(0);
  const migrated = await run(env, 'check-config');
  expect(migrated.out).toContain('(reachable, up to date)');
  expect(`${empty.out}${migrated.out}`).not.toContain('s3cret');

  const down = await run({ ...env, AQUEDUCT_DATABASE_URL: 'postgres://aq:s3cret@127.0.0.1:1/none' }, 'check-config');
  expect(down.code).toBe(1);
  expect(down.err).toContain('AQUEDUCT_DATABASE_URL=postgres://127.0.0.1:1/none: cannot use PostgreSQL:');
  expect(down.err).not.toContain('s3cret');
});

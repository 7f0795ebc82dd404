/**
 * AQUEDUCT_DATABASE_URL: `aqueduct migrate` applies the PostgreSQL migrations to it (credentials never printed);
 * serve and the usage report refuse while it is set, since the gateway does not serve from PostgreSQL yet
 * (the management commands work on it: operator-commands-postgres.test.ts).
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

test('serve (and check-config) and the usage report refuse while the URL is set', async () => {
  const env = { AQUEDUCT_DATABASE_URL: 'postgres://db.example/aqueduct' };
  expect(loadConfig(new Map(), env).problems).toContainEqual(expect.stringContaining('cannot serve from PostgreSQL yet'));
  const r = await run(env, 'usage', '--data-dir', tempDir('aq-migrate-'));
  expect(r.code).toBe(2);
  expect(r.err).toContain('works on SQLite only for now');
});

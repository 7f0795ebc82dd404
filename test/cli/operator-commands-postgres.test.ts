/**
 * The management commands on PostgreSQL (AQUEDUCT_DATABASE_URL / --database-url): the same commands as on
 * SQLite, run in-process, write to the shared database (migrating a fresh one first) and never create a
 * SQLite file in the data directory.
 */
import { SQL } from 'bun';
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from 'bun:test';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { main } from '../../src/cli/main';
import { DB_FILE } from '../../src/db/connection';
import { hashKey } from '../../src/domain/api-key';
import { tempDir } from '../support/binary';
import { type Postgres, startPostgres } from '../support/services/postgres';

setDefaultTimeout(60_000);

let pg: Postgres;
let url: string;
let db: SQL;
const dataDir = tempDir('aq-cli-pg-');

beforeAll(async () => {
  pg = await startPostgres();
  url = await pg.database(); // fresh and unmigrated: the first command migrates it
  db = new SQL({ url, max: 1 });
});

afterAll(async () => {
  await db?.close();
  await pg?.stop();
});

async function run(...argv: string[]) {
  let out = '';
  let err = '';
  const code = await main([...argv, '--data-dir', dataDir], { out: (t) => (out += `${t}\n`), err: (t) => (err += `${t}\n`), env: { AQUEDUCT_DATABASE_URL: url } });
  return { code, out, err };
}

/** The first row of a query (Bun SQL's rows are untyped). */
const one = async (query: Promise<unknown>) => ((await query) as Record<string, any>[])[0]!;

describe('operator commands on PostgreSQL', () => {
  test('token create makes the user and a key in PostgreSQL, prints only the key; list and revoke see it', async () => {
    const created = await run('token', 'create', '--user', 'ada@example.org', '--name', 'laptop');
    expect(created.code).toBe(0);
    const key = created.out.trim();
    expect(key).toMatch(/^sk-[A-Za-z0-9_-]{43}$/);
    expect(created.err).toContain('created user ada@example.org');
    const row = await one(db`SELECT k.id, k.name, u.email, u.role FROM api_keys k JOIN users u ON u.id = k.user_id WHERE k.key_hash = ${hashKey(key)}`);
    expect(row).toMatchObject({ name: 'laptop', email: 'ada@example.org', role: 'user' });
    // The write logged its access change, for the key caches of every node.
    expect(await db`SELECT kind, ref FROM access_changes WHERE kind = 'key' AND ref = ${row.id}`).toHaveLength(1);
    const listed = JSON.parse((await run('token', 'list', '--user', 'ada@example.org', '--json')).out);
    expect(listed).toEqual([expect.objectContaining({ id: row.id, name: 'laptop', email: 'ada@example.org', preview: `sk-...${key.slice(-4)}`, revokedAt: null })]);
    expect(typeof listed[0].createdAt).toBe('number');
    expect((await run('token', 'revoke', String(row.id))).code).toBe(0);
    expect((await run('token', 'revoke', String(row.id))).code).toBe(1);
    expect((await one(db`SELECT revoked_at FROM api_keys WHERE id = ${row.id}`)).revoked_at).not.toBeNull();
    expect(existsSync(join(dataDir, DB_FILE))).toBe(false);
  });

  test('orgs, users, teams, members, service accounts and limits', async () => {
    expect((await run('org', 'create', 'physics')).code).toBe(0);
    const dup = await run('org', 'create', 'physics');
    expect(dup.code).toBe(1);
    expect(dup.err).toContain('An org named "physics" already exists.');
    expect((await run('user', 'create', 'emmy@physics.example', '--org', 'physics', '--role', 'org-admin')).code).toBe(0);
    expect((await run('user', 'list', '--org', 'physics')).out).toMatch(/emmy@physics\.example\s+physics\s+org-admin/);
    expect((await run('team', 'create', 'optics', '--org', 'physics')).code).toBe(0);
    expect((await run('team', 'add-member', '--team', 'optics', '--org', 'physics', '--user', 'emmy@physics.example', '--admin')).code).toBe(0);
    expect((await run('team', 'list', '--org', 'physics')).out).toMatch(/physics\s+optics\s+1/);
    const sa = await run('service-account', 'create', 'ci-bot', '--team', 'optics', '--org', 'physics');
    expect(sa.code).toBe(0);
    const saRow = await one(db`SELECT sa.name, k.name AS key_name FROM api_keys k JOIN service_accounts sa ON sa.id = k.service_account_id WHERE k.key_hash = ${hashKey(sa.out.trim())}`);
    expect(saRow).toEqual({ name: 'ci-bot', key_name: 'service account ci-bot' });
    expect((await run('limits', 'set', '--user', 'emmy@physics.example', '--rpm', '5', '--otpm', '3000000000')).code).toBe(0);
    expect(await one(db`SELECT rpm, otpm FROM users WHERE email = 'emmy@physics.example'`)).toEqual({ rpm: '5', otpm: '3000000000' });
    expect((await run('exclude', 'add', '--org', 'physics', '--model', 'gpt-big')).code).toBe(0);
    expect((await one(db`SELECT excluded_models FROM orgs WHERE name = 'physics'`)).excluded_models).toBe('["gpt-big"]');
    expect((await run('exclude', 'merge', '--team', 'optics', '--org', 'physics', 'off')).code).toBe(0);
    expect((await one(db`SELECT merge_model_exclusions FROM teams WHERE name = 'optics'`)).merge_model_exclusions).toBe(false);
    expect(existsSync(join(dataDir, DB_FILE))).toBe(false);
  });

  test('an unusable URL is refused without being echoed, and nothing falls back to the data directory', async () => {
    let err = '';
    const code = await main(['org', 'list', '--data-dir', dataDir], { out: () => {}, err: (t) => (err += t), env: { AQUEDUCT_DATABASE_URL: 'mysql://root:s3cret@db/x' } });
    expect(code).toBe(2);
    expect(err).toContain('AQUEDUCT_DATABASE_URL: expected a postgres:// URL');
    expect(err).not.toContain('s3cret');
    expect(existsSync(join(dataDir, DB_FILE))).toBe(false);
  });
});

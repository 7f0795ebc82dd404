/**
 * `aqueduct migrate --to postgres://…`: a single-node gateway's state, built through the gateway, the operator
 * commands and the domain, is copied into a real PostgreSQL (and its files' bytes into s3rver); every table and
 * every row compared, sequences advanced, bytes equal; a second run, an unreachable target and a failure half-way
 * leave the target as it was.
 */
import { Database } from 'bun:sqlite';
import { SQL } from 'bun';
import { afterAll, beforeAll, expect, test } from 'bun:test';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import OpenAI, { toFile } from 'openai';
import { main } from '../../src/cli/main';
import { DB_FILE } from '../../src/db/connection';
import { copyPlan } from '../../src/db/copy/plan';
import { ConsoleSessions } from '../../src/domain/console-sessions';
import { openByteStore } from '../../src/store/open-store';
import { testGateway } from '../support/app';
import { tempDir } from '../support/binary';
import { MockUpstream } from '../support/mock-upstream';
import { type Postgres, startPostgres } from '../support/services/postgres';
import { startS3, type TestS3 } from '../support/services/s3';

let pg: Postgres;
let s3: TestS3;
let mock: MockUpstream;
const dataDir = tempDir('aq-migrate-to-');
const plan = copyPlan();

async function run(env: Record<string, string | undefined>, ...argv: string[]) {
  let out = '';
  let err = '';
  const code = await main(argv, { out: (t) => (out += `${t}\n`), err: (t) => (err += `${t}\n`), env });
  return { code, out, err };
}

async function cli(...argv: string[]) {
  const r = await run({}, ...argv, '--data-dir', dataDir);
  if (r.code !== 0) throw new Error(`${argv.join(' ')}: ${r.err}`);
  return r.out.trim();
}

beforeAll(async () => {
  [pg, s3] = await Promise.all([startPostgres(), startS3()]);
  mock = new MockUpstream().start();
  mkdirSync(join(dataDir, 'files'));
  // The directory, policies and a key, through the operator commands.
  await cli('org', 'create', 'acme');
  await cli('team', 'create', 'ml', '--org', 'acme', '--description', 'models');
  await cli('user', 'create', 'alice@example.com', '--org', 'acme', '--role', 'org-admin');
  await cli('team', 'add-member', '--team', 'ml', '--org', 'acme', '--user', 'alice@example.com', '--admin');
  await cli('service-account', 'create', 'bot', '--team', 'ml', '--org', 'acme', '--user', 'alice@example.com');
  await cli('limits', 'set', '--org', 'acme', '--rpm', '100');
  await cli('limits', 'set', '--user', 'alice@example.com', '--itpm', '5000');
  await cli('exclude', 'add', '--team', 'ml', '--org', 'acme', '--model', 'secret');
  await cli('exclude', 'merge', '--user', 'alice@example.com', 'off');
  const key = await cli('token', 'create', '--user', 'alice@example.com', '--name', 'laptop');

  // Calls, files and a batch with an output and an error file, through the gateway on this data directory.
  const yaml = `model_list:
  - model_name: chat
    litellm_params: { model: openai/up-chat, api_base: "${mock.base('b')}" }
    model_info: { mode: chat }
`;
  const gw = testGateway({ dataDir, routerYaml: yaml, settings: { fileStore: join(dataDir, 'files') } });
  try {
    const client = new OpenAI({ apiKey: key, baseURL: `${gw.listen()}/v1`, maxRetries: 0 });
    for (let i = 0; i < 3; i++) await client.chat.completions.create({ model: 'chat', messages: [{ role: 'user', content: `q${i}` }], user_id: `end-${i}` } as OpenAI.ChatCompletionCreateParamsNonStreaming);
    await client.files.create({ file: await toFile(Buffer.from('{"note":"kept"}\n'), 'notes.jsonl'), purpose: 'user_data' });
    const lines = ['x', 'y'].map((w) => ({ custom_id: w, method: 'POST', url: '/v1/chat/completions', body: { model: 'chat', messages: [{ role: 'user', content: w }] } }));
    const input = await client.files.create({ file: await toFile(Buffer.from(`${lines.map((l) => JSON.stringify(l)).join('\n')}\n`), 'in.jsonl'), purpose: 'batch' });
    mock.script('b', { status: 400 });
    const batch = await client.batches.create({ input_file_id: input.id, endpoint: '/v1/chat/completions', completion_window: '24h', metadata: { run: 'one' } });
    for (let b = batch; b.status !== 'completed'; b = await client.batches.retrieve(batch.id)) await Bun.sleep(50);
    // A console session, through the domain.
    const alice = gw.db.sqlite.query<{ id: number }, []>("SELECT id FROM users WHERE email = 'alice@example.com'").get()!;
    await new ConsoleSessions(gw.db.sql, 3_600_000).open(null, alice.id, 'id-token');
    // The rest have no operator command: rows as their stores write them.
    const t = Date.now();
    gw.db.sqlite.run("INSERT INTO tos_acceptances (user_id, version) VALUES (?, 'v1')", [alice.id]);
    gw.db.sqlite.run("INSERT INTO oidc_logins VALUES ('login-1', 'st', 'nonce', 'verifier', '/console', ?)", [t + 600_000]);
    gw.db.sqlite.run("INSERT INTO responses VALUES ('resp_1', ?, NULL, 1, 'stored', 'chat', 'b', '{\"id\":\"resp_1\"}', '[]', NULL, ?, ?)", [alice.id, t, t + 86_400_000]);
    gw.db.sqlite.run("INSERT INTO response_items VALUES ('msg_1', 'resp_1', '{\"type\":\"message\"}')");
  } finally {
    gw.close();
  }
});

afterAll(async () => {
  await mock?.stop();
  await s3?.stop();
  await pg?.stop();
});

const sourceDb = () => new Database(join(dataDir, DB_FILE), { readonly: true });

/** A row with PostgreSQL's readings made comparable to SQLite's: booleans as 0/1, int8 (read as BigInt) as numbers. */
function normalise(table: (typeof plan)[number], row: Record<string, unknown>, from: 'sqlite' | 'pg') {
  const out: Record<string, unknown> = {};
  for (const c of table.columns) {
    const v = row[c.name];
    if (from === 'pg' && c.boolean && v !== null) out[c.name] = v ? 1 : 0;
    else if (typeof v === 'bigint') out[c.name] = Number(v);
    else out[c.name] = v;
  }
  return out;
}

const sortKey = (table: (typeof plan)[number], r: Record<string, unknown>) => JSON.stringify(table.primaryKey.map((k) => r[k]));

test('the copy plan is every table of the migrated SQLite database, parents before children', () => {
  const db = sourceDb();
  const tables = db.query<{ name: string }, []>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> 'schema_migrations' ORDER BY name").all().map((r) => r.name);
  db.close();
  expect(plan.map((t) => t.name).sort()).toEqual(tables);
  const at = (n: string) => plan.findIndex((t) => t.name === n);
  expect(at('orgs')).toBeLessThan(at('teams'));
  expect(at('users')).toBeLessThan(at('api_keys'));
  expect(at('service_accounts')).toBeLessThan(at('api_keys'));
  expect(at('batches')).toBeLessThan(at('batch_lines'));
  expect(at('responses')).toBeLessThan(at('response_items'));
});

test('migrate --to copies every table and row, advances sequences and moves the bytes to S3', async () => {
  // The fixture reaches every table: a new table without rows here would go unchecked, so it fails instead.
  const db = sourceDb();
  const empty = plan.filter((t) => db.query<{ n: number }, []>(`SELECT count(*) AS n FROM "${t.name}"`).get()!.n === 0).map((t) => t.name);
  expect(empty).toEqual([]);

  const url = (await pg.database()).replace('postgres@', 'postgres:s3cret@');
  const env = { ...s3.env, AQUEDUCT_FILE_STORE: `s3://${s3.bucket}/moved` };
  const r = await run(env, 'migrate', '--to', url, '--data-dir', dataDir);
  expect(r.err).toBe('');
  expect(r.code).toBe(0);
  expect(r.out).toContain(`copied ${plan.length} tables to postgres://127.0.0.1:`);
  expect(r.out).toMatch(/^usage\s+5\s+5\s+ok$/m);
  expect(r.out).not.toContain('s3cret');

  const sql = new SQL({ url, max: 1, bigint: true });
  try {
    for (const table of plan) {
      const fromSqlite = db.query<Record<string, unknown>, []>(`SELECT * FROM "${table.name}"`).all().map((x) => normalise(table, x, 'sqlite'));
      const fromPg = ((await sql.unsafe(`SELECT * FROM "${table.name}"`)) as Record<string, unknown>[]).map((x) => normalise(table, x, 'pg'));
      const sort = (rows: Record<string, unknown>[]) => rows.sort((a, b) => (sortKey(table, a) < sortKey(table, b) ? -1 : 1));
      expect({ table: table.name, rows: sort(fromPg) }).toEqual({ table: table.name, rows: sort(fromSqlite) });
    }
    const [team] = await sql`SELECT excluded_models, merge_model_exclusions FROM teams WHERE name = 'ml'`;
    expect(JSON.parse(team.excluded_models)).toEqual(['secret']);
    expect(team.merge_model_exclusions).toBe(true);
    const [alice] = await sql`SELECT merge_model_exclusions, itpm FROM users WHERE email = 'alice@example.com'`;
    expect(alice.merge_model_exclusions).toBe(false);
    const [batch] = await sql`SELECT metadata, output_file_id, error_file_id FROM batches`;
    expect(JSON.parse(batch.metadata)).toEqual({ run: 'one' });
    expect(batch.output_file_id).not.toBeNull();
    expect(batch.error_file_id).not.toBeNull();

    // Identity sequences: the next id PostgreSQL hands out follows the largest copied one.
    for (const table of plan.filter((t) => t.identity !== undefined)) {
      const max = db.query<{ m: number }, []>(`SELECT max(id) AS m FROM "${table.name}"`).get()!.m;
      const [{ next }] = await sql.unsafe(`SELECT nextval(pg_get_serial_sequence('"${table.name}"', 'id'))::int AS next`);
      expect({ table: table.name, next }).toEqual({ table: table.name, next: max + 1 });
    }
    const [org] = await sql`INSERT INTO orgs (name) VALUES ('after') RETURNING id`;
    expect(org.id).toBeGreaterThan(db.query<{ m: number }, []>('SELECT max(id) AS m FROM orgs').get()!.m);

    // Bytes: every file in S3 with the same SHA-256 as on disk.
    const files = db.query<{ id: string }, []>('SELECT id FROM files').all();
    expect(files.length).toBe(4); // notes, batch input, output and error
    expect([...(await s3.objects('moved/')).keys()].sort()).toEqual(files.map((f) => `moved/${f.id}`).sort());
    const target = openByteStore(`s3://${s3.bucket}/moved`, dataDir, s3.env);
    for (const f of files) {
      const there = new Bun.CryptoHasher('sha256').update(await new Response(target.read(f.id)).arrayBuffer()).digest('hex');
      const here = new Bun.CryptoHasher('sha256').update(await Bun.file(join(dataDir, 'files', f.id)).arrayBuffer()).digest('hex');
      expect(there).toBe(here);
    }

    // A second run refuses the target that now holds data, and changes nothing.
    const again = await run(env, 'migrate', '--to', url, '--data-dir', dataDir);
    expect(again.code).toBe(1);
    expect(again.err).toContain('already holds gateway data (access_changes, orgs');
    expect(again.err).not.toContain('s3cret');
    const [{ n }] = await sql`SELECT count(*)::int AS n FROM usage`;
    expect(n).toBe(5); // three calls and two batch lines
  } finally {
    await sql.close();
    db.close();
  }
});

test('a failure half-way (bytes missing at the source) commits nothing: the target stays empty', async () => {
  const url = await pg.database();
  const nowhere = tempDir('aq-no-files-');
  const r = await run({ ...s3.env }, 'migrate', '--to', url, '--data-dir', dataDir, '--file-store', `s3://${s3.bucket}/other`, '--from-file-store', nowhere);
  expect(r.code).toBe(1);
  expect(r.err).toContain('4 file(s) could not be copied');
  expect(r.err).toContain(`missing in ${nowhere}`);
  expect(r.err).toContain('nothing was committed');
  const sql = new SQL({ url, max: 1 });
  const counts = await sql.unsafe(plan.map((t) => `SELECT count(*)::int AS n FROM "${t.name}"`).join(' UNION ALL '));
  expect(counts.every((c: { n: number }) => c.n === 0)).toBe(true);
  await sql.close();
  rmSync(nowhere, { recursive: true, force: true });
  // Run again with the right source: it succeeds into the same database (schema already there).
  const ok = await run({ ...s3.env }, 'migrate', '--to', url, '--data-dir', dataDir, '--file-store', `s3://${s3.bucket}/other`);
  expect(ok.err).toBe('');
  expect(ok.code).toBe(0);
});

test('an unreachable target or a missing database is a clear refusal, its password never shown', async () => {
  const down = await run({}, 'migrate', '--to', 'postgres://postgres:s3cret@127.0.0.1:1/aq', '--data-dir', dataDir);
  expect(down.code).toBe(1);
  expect(down.err).toContain('cannot prepare postgres://127.0.0.1:1/aq');
  expect(down.err).not.toContain('s3cret');
  const base = new URL(pg.url);
  const missing = await run({}, 'migrate', '--to', `postgres://postgres:s3cret@${base.host}/no_such_db`, '--data-dir', dataDir);
  expect(missing.code).toBe(1);
  expect(missing.err).toContain('no_such_db');
  expect(missing.err).not.toContain('s3cret');
  const bad = await run({}, 'migrate', '--to', 'mysql://root:s3cret@db/x', '--data-dir', dataDir);
  expect(bad.code).toBe(2);
  expect(bad.err).toContain('--to: expected a postgres:// URL');
  expect(bad.err).not.toContain('s3cret');
  const nodb = await run({}, 'migrate', '--to', 'postgres://db/x', '--data-dir', tempDir('aq-empty-'));
  expect(nodb.code).toBe(2);
  expect(nodb.err).toContain('no database in');
});

test('--help names --to and --from-file-store; --from-file-store alone is a usage error', async () => {
  const help = await run({}, 'migrate', '--help');
  expect(help.code).toBe(0);
  expect(help.out).toContain('--to <postgres://…>');
  expect(help.out).toContain('--from-file-store');
  const alone = await run({}, 'migrate', '--from-file-store', '/tmp', '--data-dir', tempDir('aq-empty-'));
  expect(alone.code).toBe(2);
  expect(alone.err).toContain('--from-file-store goes with --to');
});

test('rows the gateway writes after the snapshot began are not copied, and the counts still match', async () => {
  const url = await pg.database();
  // Hold the copy's lock so the command waits right after its SQLite snapshot began.
  const locker = new SQL({ url, max: 1 });
  await locker`SELECT pg_advisory_lock(7017787745281262709)`;
  const copy = run({}, 'migrate', '--to', url, '--data-dir', dataDir);
  for (let i = 0; ; i++) {
    const [{ n }] = await locker`SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND NOT granted`;
    if (n > 0) break;
    if (i > 200) throw new Error('the copy never waited on its lock');
    await Bun.sleep(25);
  }
  const writer = new Database(join(dataDir, DB_FILE));
  writer.run('PRAGMA busy_timeout = 5000');
  const before = writer.query<{ n: number }, []>('SELECT count(*) AS n FROM usage').get()!.n;
  writer.run("INSERT INTO usage (created_at, request_id, key_id, user_id, org_id, model, endpoint, status, latency_ms) VALUES (1, 'late', 1, 1, 1, 'chat', '/v1/chat/completions', 200, 1)");
  await locker`SELECT pg_advisory_unlock(7017787745281262709)`;
  const r = await copy;
  writer.run("DELETE FROM usage WHERE request_id = 'late'");
  writer.close();
  expect({ code: r.code, err: r.err }).toEqual({ code: 0, err: '' });
  expect(r.out).toMatch(new RegExp(`^usage\\s+${before}\\s+${before}\\s+ok$`, 'm'));
  const [{ n }] = await locker`SELECT count(*)::int AS n FROM usage`;
  expect(n).toBe(before);
  await locker.close();
});

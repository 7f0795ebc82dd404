/**
 * The embedded PostgreSQL migrations (src/db/pg/migrate.ts) against a real PostgreSQL: a fresh database ends
 * migrated, again is a no-op, nodes starting together apply each migration once, a failure leaves nothing.
 */
import { SQL } from 'bun';
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { POSTGRES, renderMigrationsModule } from '../../scripts/embed-migrations';
import { migratePg } from '../../src/db/pg/migrate';
import { MIGRATIONS } from '../../src/db/pg/migrations.gen';
import { type Postgres, startPostgres } from '../support/services/postgres';

const root = join(import.meta.dir, '../..');
let pg: Postgres;
const clients: SQL[] = [];

/** A client of a fresh database (closed after the file's tests). */
async function fresh(): Promise<{ url: string; sql: SQL }> {
  const url = await pg.database();
  const sql = new SQL({ url, max: 2 });
  clients.push(sql);
  return { url, sql };
}

/** Tables, columns and indexes as PostgreSQL reports them: what "the schema" is for these tests. */
async function schemaOf(sql: SQL): Promise<string[]> {
  const cols: { t: string; c: string; ty: string; n: string }[] = await sql`
    SELECT table_name AS t, column_name AS c, data_type AS ty, is_nullable AS n FROM information_schema.columns
    WHERE table_schema = 'public' ORDER BY table_name, ordinal_position`;
  const idx: { d: string }[] = await sql`SELECT indexdef AS d FROM pg_indexes WHERE schemaname = 'public' ORDER BY indexname`;
  return [...cols.map((r) => `${r.t}.${r.c} ${r.ty} ${r.n}`), ...idx.map((r) => r.d)];
}

beforeAll(async () => {
  pg = await startPostgres();
});

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await pg?.stop();
});

describe('PostgreSQL migrations', () => {
  test('src/db/pg/migrations.gen.ts matches drizzle-pg/ (run `make migration` after changing the schema)', () => {
    expect(readFileSync(join(root, POSTGRES.module), 'utf8')).toBe(renderMigrationsModule(root, POSTGRES));
    expect(MIGRATIONS.length).toBeGreaterThan(0);
  });

  test('a fresh database ends on the latest schema, and migrating again changes nothing', async () => {
    const { sql } = await fresh();
    expect(await migratePg(sql)).toEqual(MIGRATIONS.map((m) => m.tag));
    const schema = await schemaOf(sql);
    expect(schema.join('\n')).toContain('api_keys.key_hash text NO');
    expect(await migratePg(sql)).toEqual([]);
    expect(await schemaOf(sql)).toEqual(schema);
    expect((await sql`SELECT tag FROM schema_migrations ORDER BY tag`).map((r: { tag: string }) => r.tag)).toEqual(MIGRATIONS.map((m) => m.tag));
  });

  test('a database made by any older release upgrades to the same schema, keeping its data', async () => {
    const latest = await fresh();
    await migratePg(latest.sql);
    const expected = await schemaOf(latest.sql);
    for (let k = 1; k <= MIGRATIONS.length; k++) {
      const { sql } = await fresh();
      await migratePg(sql, MIGRATIONS.slice(0, k)); // what the older binary left behind
      await sql`INSERT INTO orgs (name) VALUES ('kept')`;
      await migratePg(sql);
      expect(await schemaOf(sql)).toEqual(expected);
      expect(await sql`SELECT name FROM orgs`).toEqual([{ name: 'kept' }]);
    }
  });

  test('three nodes migrating a fresh database at once all succeed, and each migration applies once', async () => {
    const { url } = await fresh();
    // Separate clients (connections), as separate nodes would have; a second migration shows the lock per step.
    const nodes = [0, 1, 2].map(() => new SQL({ url, max: 1 }));
    clients.push(...nodes);
    const extra = [...MIGRATIONS, { tag: '9999_extra', sql: 'CREATE TABLE extra (id integer PRIMARY KEY)' }];
    const results = await Promise.all(nodes.map((sql) => migratePg(sql, extra)));
    expect(results.flat().sort()).toEqual(extra.map((m) => m.tag).sort());
    const recorded: { tag: string }[] = await nodes[0]!`SELECT tag FROM schema_migrations`;
    expect(recorded.length).toBe(extra.length);
  });

  test('refuses a database migrated by a newer release, and an edited migration', async () => {
    const { sql } = await fresh();
    await migratePg(sql);
    await sql`INSERT INTO schema_migrations (tag, hash, applied_at) VALUES ('9999_future', 'x', 0)`;
    await expect(migratePg(sql)).rejects.toThrow(/newer aqueduct/);

    const other = await fresh();
    await migratePg(other.sql);
    const edited = MIGRATIONS.map((m, i) => (i === 0 ? { ...m, sql: `${m.sql}\n-- edited` } : m));
    await expect(migratePg(other.sql, edited)).rejects.toThrow(/changed after it was applied/);
  });

  test('a failing migration leaves nothing half-applied', async () => {
    const { sql } = await fresh();
    const bad = [...MIGRATIONS, { tag: '9999_bad', sql: 'CREATE TABLE half (x int);\n--> statement-breakpoint\nTHIS IS NOT SQL' }];
    await expect(migratePg(sql, bad)).rejects.toThrow();
    expect(await sql`SELECT to_regclass('public.half') AS t`).toEqual([{ t: null }]);
    expect(await sql`SELECT tag FROM schema_migrations WHERE tag = '9999_bad'`).toEqual([]);
    // The migrations before it stay applied (each has its own transaction).
    expect((await sql`SELECT count(*)::int AS n FROM schema_migrations`)[0].n).toBe(MIGRATIONS.length);
  });
});

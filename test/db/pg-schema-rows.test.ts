/**
 * Rows written and read through Drizzle come back with the same JavaScript values from PostgreSQL (bun-sql
 * driver, src/db/pg/schema.ts) as from SQLite (bun-sqlite, src/db/schema.ts): numbers for bigint times and
 * sums, booleans, JSON values, generated ids. The type test proves the TS types agree; this proves the values do.
 */
import { SQL } from 'bun';
import { afterAll, beforeAll, expect, test } from 'bun:test';
import { eq } from 'drizzle-orm';
import { drizzle as pgDrizzle } from 'drizzle-orm/bun-sql';
import { openMemoryDatabase } from '../../src/db/connection';
import { migrate } from '../../src/db/migrate';
import { migratePg } from '../../src/db/pg/migrate';
import * as pgSchema from '../../src/db/pg/schema';
import * as sqliteSchema from '../../src/db/schema';
import { type Postgres, startPostgres } from '../support/services/postgres';

let pg: Postgres;
let sql: SQL;

beforeAll(async () => {
  pg = await startPostgres();
  sql = new SQL({ url: await pg.database(), max: 1 });
  await migratePg(sql);
});

afterAll(async () => {
  await sql?.close();
  await pg?.stop();
});

test('the same writes read back as the same values in both dialects', async () => {
  const lite = openMemoryDatabase();
  migrate(lite.sqlite);
  const ldb = lite.db;
  const pdb = pgDrizzle({ client: sql, schema: pgSchema });

  const org = { name: 'acme', excludedModels: ['gpt-x', 'o9'], mergeMcpExclusions: false, itpm: 5_000_000_000 };
  const batch = {
    id: 'batch_1', keyId: 1, userId: 1, orgId: 1, inputFileId: 'file-1', endpoint: '/v1/chat/completions', model: 'm',
    completionWindow: '24h', status: 'validating', metadata: { k: 'v', 'ü': '"quoted"' }, errors: null,
    inputTokens: 3_000_000_000, createdAt: 1_790_000_000_123, expiresAt: 1_790_086_400_123,
  };
  const usageRow = {
    createdAt: 1_790_000_000_456, requestId: 'r1', keyId: 1, userId: 1, orgId: 1, model: 'm', endpoint: 'chat', status: 200,
    latencyMs: 12, inputTokens: 10, outputTokens: 2_500_000_000, stream: true, audioSeconds: 1.25,
  };
  const rollup = {
    bucketStart: 4_102_444_800, orgId: 1, teamId: 0, userId: 1, keyId: 1, model: 'm', mcpServer: '', mcpTool: '',
    requests: 1, failures: 0, inputTokens: 1, outputTokens: 1, latencySum: 3_000_000_000, latencyMin: 1, latencyMax: 9, h3: 1,
  };

  ldb.insert(sqliteSchema.orgs).values(org).run();
  ldb.insert(sqliteSchema.batches).values(batch).run();
  ldb.insert(sqliteSchema.usage).values(usageRow).run();
  ldb.insert(sqliteSchema.usageMinute).values(rollup).run();
  await pdb.insert(pgSchema.orgs).values(org);
  await pdb.insert(pgSchema.batches).values(batch);
  await pdb.insert(pgSchema.usage).values(usageRow);
  await pdb.insert(pgSchema.usageMinute).values(rollup);

  const fromLite = {
    org: ldb.select().from(sqliteSchema.orgs).where(eq(sqliteSchema.orgs.name, 'acme')).get(),
    batch: ldb.select().from(sqliteSchema.batches).get(),
    usage: ldb.select().from(sqliteSchema.usage).get(),
    rollup: ldb.select().from(sqliteSchema.usageMinute).get(),
  };
  const fromPg = {
    org: (await pdb.select().from(pgSchema.orgs).where(eq(pgSchema.orgs.name, 'acme')))[0],
    batch: (await pdb.select().from(pgSchema.batches))[0],
    usage: (await pdb.select().from(pgSchema.usage))[0],
    rollup: (await pdb.select().from(pgSchema.usageMinute))[0],
  };
  lite.close();

  // created_at defaults to "now" in each database: equal type and close in time, not equal values.
  expect(typeof fromPg.org?.createdAt).toBe('number');
  expect(Math.abs(fromPg.org!.createdAt - fromLite.org!.createdAt)).toBeLessThan(60_000);
  const withoutNow = <T extends { createdAt: number }>(row: T | undefined) => ({ ...row, createdAt: 0 });
  expect({ ...fromPg, org: withoutNow(fromPg.org) }).toEqual({ ...fromLite, org: withoutNow(fromLite.org) });
  expect(fromPg.org).toMatchObject({ id: 1, excludedModels: ['gpt-x', 'o9'], excludedMcpServers: [], mergeModelExclusions: true, mergeMcpExclusions: false, itpm: 5_000_000_000 });
  // JSON is stored as JSON text, readable as such by raw SQL in both dialects.
  expect(await sql`SELECT metadata FROM batches`).toEqual([{ metadata: JSON.stringify(batch.metadata) }]);
});

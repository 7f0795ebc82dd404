/**
 * The usage writer thread on PostgreSQL: given a postgres:// url it writes through Bun SQL; two writers
 * (two nodes) recording into the same minutes, keys and models at once leave rollups equal to the raw sums;
 * a batch that fails is retried with its rows counted once.
 */
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from 'bun:test';
import { SQL } from 'bun';
import { migratePg } from '../../src/db/pg/migrate';
import { pgUsageStore } from '../../src/db/pg/usage-store';
import type { UsageStore } from '../../src/db/usage-store';
import { openDatabase } from '../../src/db/connection';
import { migrate } from '../../src/db/migrate';
import { WorkerUsageRecorder } from '../../src/domain/usage';
import { usageBackend } from '../../src/domain/usage-backend';
import { tempDir } from '../support/binary';
import { silentLogger, type Logger } from '../../src/log';
import { type Postgres, startPostgres } from '../support/services/postgres';
import { expectRollupsEqualRaw } from './usage-rollup-check';
import { generateUsage } from './usage-rows-generator';

setDefaultTimeout(60_000);
let pg: Postgres;
beforeAll(async () => {
  pg = await startPostgres();
});
afterAll(async () => {
  await pg?.stop();
});

async function fresh(): Promise<{ url: string; store: UsageStore; admin: SQL }> {
  const url = await pg.database();
  const admin = new SQL({ url, max: 1 });
  await migratePg(admin);
  return { url, store: pgUsageStore(url, { max: 1 }), admin };
}

test('two writer threads (two nodes) recording into the same rollup rows at once: every row once, rollups equal the raw sums', async () => {
  const { url, store, admin } = await fresh();
  const now = Date.now();
  const rows = generateUsage({ seed: 3, count: 6_000, since: now - 120_000, until: now, keys: 4, models: 2 });
  const nodes = [new WorkerUsageRecorder(url, silentLogger, { flushIntervalMs: 5 }), new WorkerUsageRecorder(url, silentLogger, { flushIntervalMs: 5 })];
  for (let i = 0; i < rows.length; i++) {
    nodes[i % 2]!.record(rows[i]!);
    if (i % 500 === 499) await Bun.sleep(2); // let flushes interleave
  }
  await Promise.all(nodes.map((n) => n.drain()));
  await expectRollupsEqualRaw(store, rows.length);
  await Promise.all(nodes.map((n) => n.close()));
  await store.close();
  await admin.close();
});

test('a batch that fails is kept and retried, its rows counted once', async () => {
  const { url, store, admin } = await fresh();
  const errors: string[] = [];
  const log: Logger = { ...silentLogger, error: (msg) => errors.push(msg) };
  const recorder = new WorkerUsageRecorder(url, log, { flushIntervalMs: 60_000 });
  const now = Date.now();
  const rows = generateUsage({ seed: 4, count: 1_000, since: now - 60_000, until: now });
  // The last table of the transaction gone: the rows and every rollup before it are rolled back.
  await admin.unsafe('ALTER TABLE usage_end_user_day RENAME TO usage_end_user_day_away');
  for (const r of rows.slice(0, 600)) recorder.record(r);
  await recorder.drain();
  expect(errors).toEqual(['could not write usage records; will retry']);
  expect(recorder.pending).toBe(600);
  await admin.unsafe('ALTER TABLE usage_end_user_day_away RENAME TO usage_end_user_day');
  for (const r of rows.slice(600)) recorder.record(r);
  await recorder.drain();
  expect(recorder.pending).toBe(0);
  await expectRollupsEqualRaw(store, rows.length);
  await recorder.close();
  await store.close();
  await admin.close();
});

test('usageBackend: the recorder and reads of the configured database, SQLite without a url, PostgreSQL with one', async () => {
  const h = openDatabase(tempDir('aq-usage-backend-'));
  migrate(h.sqlite);
  const { url, store, admin } = await fresh();
  const now = Date.now();
  const rows = generateUsage({ seed: 5, count: 500, since: now - 600_000, until: now });
  const models = rows.filter((r) => !r.mcpServer).length;
  const requests = async (b: ReturnType<typeof usageBackend>) =>
    (await b.reads.report({ since: now - 3_600_000, until: now + 1, groupBy: 'org', calls: 'model', scope: { kind: 'all' } })).reduce((a, r) => a + r.requests, 0);
  const count = (table: string) => (h.sqlite.query(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;

  const lite = usageBackend({}, h, silentLogger, { flushIntervalMs: 5 });
  for (const r of rows) lite.recorder.record(r);
  await lite.recorder.drain();
  expect(await requests(lite)).toBe(models);
  expect(count('usage')).toBe(rows.length);
  await lite.close();

  const post = usageBackend({ databaseUrl: url }, h, silentLogger, { flushIntervalMs: 5 });
  for (const r of rows) post.recorder.record(r);
  await post.recorder.drain();
  expect(await requests(post)).toBe(models);
  expect(count('usage')).toBe(rows.length); // nothing more in SQLite
  await expectRollupsEqualRaw(store, rows.length);
  await post.close();
  await store.close();
  await admin.close();
  h.close();
});

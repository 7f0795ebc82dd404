/**
 * The usage store contract (src/db/usage-store.ts), one set of assertions run against SQLite and against a
 * fresh PostgreSQL database: every rollup table equals the raw rows' sums (also with two writers adding to
 * the same minute/key/model rows at once, and across a retry that rechecks what an unacknowledged commit
 * stored); the same rows give the same report, summary and pruning from both dialects.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from 'bun:test';
import { SQL } from 'bun';
import { openDatabase, openMemoryDatabase, type DbHandle } from '../../src/db/connection';
import { migrate } from '../../src/db/migrate';
import { migratePg } from '../../src/db/pg/migrate';
import { pgUsageStore } from '../../src/db/pg/usage-store';
import { sqliteUsageStore } from '../../src/db/sqlite/usage-store';
import type { UsageStore } from '../../src/db/usage-store';
import { usageReads, type UsageReads } from '../../src/domain/usage-reads';
import type { ReportQuery, UsageScope } from '../../src/domain/usage-report';
import { usageWrite, type UsageRecord } from '../../src/domain/usage-rows';
import { dashboardQuery } from '../../src/domain/usage-summary';
import { tempDir } from '../support/binary';
import { type Postgres, startPostgres } from '../support/services/postgres';
import { byValues, expectRollupsEqualRaw, TABLES } from './usage-rollup-check';
import { generateUsage, LABELS } from './usage-rows-generator';

const HOUR = 3_600_000;
// A fixed "now": the generated rows span the 40 h before it, so minute rows are still kept (48 h).
const NOW = Date.UTC(2026, 10, 30, 12, 17, 40);
setDefaultTimeout(60_000);
const ROWS = generateUsage({ seed: 20, count: 4_000, since: NOW - 40 * HOUR, until: NOW });

interface Dialect {
  name: 'sqlite' | 'postgres';
  /** A fresh, migrated, empty database: a store on it, and a second store on its own connection (another node). */
  fresh(): Promise<{ store: UsageStore; other: () => Promise<UsageStore> }>;
}

let pg: Postgres;
const opened: { close(): unknown }[] = [];

const sqlite: Dialect = {
  name: 'sqlite',
  async fresh() {
    const h = openDatabase(tempDir('aq-usage-contract-'));
    migrate(h.sqlite);
    opened.push(h);
    const other = async () => {
      const o: DbHandle = openDatabase(h.path.slice(0, -'/aqueduct.db'.length));
      opened.push(o);
      return sqliteUsageStore(o.sqlite);
    };
    return { store: sqliteUsageStore(h.sqlite), other };
  },
};

const postgres: Dialect = {
  name: 'postgres',
  async fresh() {
    const url = await pg.database();
    const admin = new SQL({ url, max: 1 });
    await migratePg(admin);
    await admin.close();
    const open = async () => {
      const s = pgUsageStore(url, { max: 1 });
      opened.push({ close: () => s.close() });
      return s;
    };
    return { store: await open(), other: open };
  },
};

beforeAll(async () => {
  pg = await startPostgres();
});

afterAll(async () => {
  for (const o of opened.reverse()) await o.close();
  await pg?.stop();
});

async function writeAll(store: UsageStore, rows: UsageRecord[], batch = 500): Promise<void> {
  for (let i = 0; i < rows.length; i += batch) await store.write(usageWrite(rows.slice(i, i + batch)));
}

/** Orgs, users and teams for the labels of the report and summary. */
async function addLabels(store: UsageStore): Promise<void> {
  for (const o of LABELS.orgs) await store.run('INSERT INTO orgs (id, name) VALUES (?, ?)', [o.id, o.name]);
  for (const t of LABELS.teams) await store.run('INSERT INTO teams (id, org_id, name) VALUES (?, ?, ?)', [t.id, t.orgId, t.name]);
  for (const u of LABELS.users) await store.run('INSERT INTO users (id, email, org_id) VALUES (?, ?, ?)', [u.id, u.email, u.orgId]);
}

for (const dialect of [sqlite, postgres]) {
  describe(`usage store on ${dialect.name}`, () => {
    test('every rollup table is the sum of the raw rows, written in batches', async () => {
      const { store } = await dialect.fresh();
      await writeAll(store, ROWS);
      await expectRollupsEqualRaw(store, ROWS.length);
    });

    test('two writers adding to the same minute/key/model rows at once sum correctly', async () => {
      const { store, other } = await dialect.fresh();
      const second = await other();
      // Every row in the same two minutes, three keys, two models: both writers hit the same rollup rows.
      const hot = generateUsage({ seed: 7, count: 3_000, since: NOW - 90_000, until: NOW - 30_000, keys: 3, models: 2 });
      const parts = [hot.filter((_, i) => i % 2 === 0), hot.filter((_, i) => i % 2 === 1)];
      await Promise.all([writeAll(store, parts[0]!, 100), writeAll(second, parts[1]!, 100)]);
      await expectRollupsEqualRaw(store, hot.length);
      const [[requests]] = (await store.values(`SELECT ${store.num('sum(requests)')} FROM usage_gateway_hour`)) as [[number]];
      expect(requests).toBe(hot.length);
    });

    test('a retry that rechecks skips the rows an unacknowledged commit stored, and writes the others', async () => {
      const { store } = await dialect.fresh();
      const rows = ROWS.slice(0, 600);
      expect(await store.write(usageWrite(rows.slice(0, 400)))).toBe(400); // committed; say its answer was lost
      // The retry carries the same 400 rows and 200 recorded since, asking to recheck.
      expect(await store.write(usageWrite(rows, true))).toBe(200);
      await expectRollupsEqualRaw(store, 600);
      expect(await store.write(usageWrite(rows, true))).toBe(0);
      // Without the recheck the same rows would count twice: the check above is what prevents it.
      expect(await store.write(usageWrite(rows.slice(0, 1)))).toBe(1);
      await expectRollupsEqualRaw(store, 601);
    });
  });
}

describe('the same rows read the same from both dialects', () => {
  let lite: { store: UsageStore; reads: UsageReads };
  let post: { store: UsageStore; reads: UsageReads };

  beforeAll(async () => {
    const [a, b] = await Promise.all([sqlite.fresh(), postgres.fresh()]);
    for (const s of [a.store, b.store]) {
      await addLabels(s);
      await writeAll(s, ROWS);
    }
    lite = { store: a.store, reads: usageReads(a.store) };
    post = { store: b.store, reads: usageReads(b.store) };
  });

  test('the rollup tables hold the same rows', async () => {
    // PostgreSQL sends bigint columns as text (the reads cast them; SELECT * does not): compare as numbers.
    const numeric = (rows: unknown[][]) => rows.map((r) => r.map((v) => (typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v))).sort(byValues);
    for (const t of TABLES) {
      const q = `SELECT * FROM ${t.table}`;
      const a = numeric(await lite.store.values(q));
      expect(a.length).toBeGreaterThan(0);
      expect({ table: t.table, rows: numeric(await post.store.values(q)) }).toEqual({ table: t.table, rows: a });
    }
  });

  const scopes: UsageScope[] = [
    { kind: 'all' }, { kind: 'all', orgId: 2 }, { kind: 'org', orgId: 1 }, { kind: 'team', teamId: 11 }, { kind: 'key', keyId: 4 },
    { kind: 'user', userId: 3, teamIds: [10, 12] }, { kind: 'user', userId: 5, teamIds: [] },
  ];

  test('reports: every grouping, bucket, kind of call and scope', async () => {
    let compared = 0;
    for (const groupBy of ['model', 'key', 'user', 'team', 'org', 'user_id', 'mcp_server', 'mcp_tool'] as const) {
      for (const bucket of [undefined, 'minute', 'hour', 'day'] as const) {
        for (const scope of scopes) {
          const calls = groupBy.startsWith('mcp_') ? 'mcp' : groupBy === 'model' ? 'model' : scope.kind === 'key' ? 'mcp' : 'model';
          const q: ReportQuery = { since: NOW - 30 * HOUR - 123_456, until: NOW + 1, groupBy, bucket, calls, scope };
          const a = await lite.reads.report(q);
          expect({ q, rows: await post.reads.report(q) }).toEqual({ q, rows: a });
          compared += a.length;
        }
      }
    }
    expect(compared).toBeGreaterThan(5_000);
    // Not just equal, right: the gateway-wide count by model is the generator's.
    const byModel = await post.reads.report({ since: 0, until: NOW + 1, groupBy: 'model', calls: 'model', scope: { kind: 'all' } });
    expect(byModel.reduce((a, r) => a + r.requests, 0)).toBe(ROWS.filter((r) => !r.mcpServer).length);
    expect(byModel.reduce((a, r) => a + r.failures, 0)).toBe(ROWS.filter((r) => !r.mcpServer && r.status >= 400).length);
    const byOrg = await post.reads.report({ since: 0, until: NOW + 1, groupBy: 'org', calls: 'model', scope: { kind: 'all' } });
    expect(byOrg.map((r) => r.label).sort()).toEqual(LABELS.orgs.map((o) => o.name).sort());
  });

  test('summaries: the console dashboards of every scope and span, and the CSV tables', async () => {
    let requests = 0;
    for (const scope of scopes) {
      for (const calls of ['model', 'mcp'] as const) {
        for (const spanMs of [HOUR, 6 * HOUR, 24 * HOUR, 7 * 24 * HOUR]) {
          const q = dashboardQuery(scope, calls, spanMs, NOW);
          const a = await lite.reads.summary(q);
          expect({ q, s: await post.reads.summary(q) }).toEqual({ q, s: a });
          requests += a.totals.requests;
          const csv = dashboardQuery(scope, calls, spanMs, NOW, { top: 0 });
          expect(await post.reads.summary(csv)).toEqual(await lite.reads.summary(csv));
        }
      }
    }
    expect(requests).toBeGreaterThan(10_000);
    const all = await post.reads.summary(dashboardQuery({ kind: 'all' }, 'model', 7 * 24 * HOUR, NOW));
    expect(all.totals.requests).toBe(ROWS.filter((r) => !r.mcpServer).length);
    expect(all.totals.input_tokens).toBe(ROWS.filter((r) => !r.mcpServer).reduce((a, r) => a + r.inputTokens, 0));
  });

  test('pruning deletes the same rows from both', async () => {
    // 36 h after NOW with a 2-day retention: part of the raw rows, most minute rows and some hours go.
    const later = NOW + 36 * HOUR;
    const a = await lite.reads.prune(2 * 24 * HOUR, later);
    const b = await post.reads.prune(2 * 24 * HOUR, later);
    expect(a.usage).toBeGreaterThan(0);
    expect(a.usage).toBeLessThan(ROWS.length);
    expect(a.rollups).toBeGreaterThan(0);
    expect(b).toEqual(a);
    const left = (s: UsageStore) => s.values(`SELECT ${s.num('count(*)')}, ${s.num('min(created_at)')} FROM usage`);
    expect(await left(post.store)).toEqual(await left(lite.store));
    expect(((await left(lite.store))[0]![1] as number) >= later - 2 * 24 * HOUR).toBe(true);
    expect(await post.reads.prune(2 * 24 * HOUR, later)).toEqual({ usage: 0, rollups: 0 });
  });
});

/**
 * Usage rollups: equal to the raw rows' sums on every insert path (the writer's insertUsageRows and a batch
 * line's finish), the summary's scope isolation, percentiles within the histogram's error bound, pruning.
 */
import { afterAll, describe, expect, test } from 'bun:test';
import { openMemoryDatabase } from '../../src/db/connection';
import { migrate } from '../../src/db/migrate';
import { BatchStore } from '../../src/domain/batches/batch-store';
import { histBucket, percentile, UPPER } from '../../src/domain/latency-histogram';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cover } from '../../src/domain/usage-rollup-query';
import { backfillStatements, FAMILIES, pruneRollups } from '../../src/domain/usage-rollups';
import { insertUsageRows, type UsageRecord } from '../../src/domain/usage-rows';
import { usageSummary } from '../../src/domain/usage-summary';
import { sqliteUsageStore } from '../../src/db/sqlite/usage-store';

const h = openMemoryDatabase();
migrate(h.sqlite);
h.sqlite.run('PRAGMA foreign_keys = OFF'); // batch rows below point at files and keys this test does not create
afterAll(() => h.close());
const usageStore = sqliteUsageStore(h.sqlite);

const HOUR = 3_600_000;
// A fixed time, 10 h ago, 30 s before an hour boundary: rows fall either side of minute and hour edges.
const T0 = Math.floor((Date.now() - 10 * HOUR) / HOUR) * HOUR - 30_000;
let n = 0;
function rec(o: Partial<UsageRecord> & { keyId: number; userId: number; orgId: number }): UsageRecord {
  return {
    createdAt: T0, requestId: `r${++n}`, teamId: null, model: 'm1', deployment: null, endpoint: 'chat', status: 200, latencyMs: 100,
    ttftMs: null, inputTokens: 10, outputTokens: 5, endUserId: '', stream: false, errorCode: null, ...o,
  };
}
// org 1: alice (user 1, key 11), bob (user 2, key 12) and team 5's service account (key 15, made by bob);
// org 2: carol (user 3, key 13), who labels a call with alice's email.
const alice = { keyId: 11, userId: 1, orgId: 1 };
const bob = { keyId: 12, userId: 2, orgId: 1 };
const bot = { keyId: 15, userId: 2, orgId: 1, teamId: 5 };
const carol = { keyId: 13, userId: 3, orgId: 2 };
const rows: UsageRecord[] = [
  rec({ ...alice, latencyMs: 40 }),
  rec({ ...alice, createdAt: T0 + 29_999, latencyMs: 60, inputTokens: 7 }), // same minute
  rec({ ...alice, createdAt: T0 + 30_000, model: 'm2', latencyMs: 900 }), // next minute and next hour
  rec({ ...alice, createdAt: T0 + 2 * HOUR, status: 429, inputTokens: 0, outputTokens: 0, latencyMs: 3 }),
  rec({ ...bob, createdAt: T0 + 61_000, latencyMs: 250, endUserId: 'emmy' }),
  rec({ ...bot, createdAt: T0 + 5_000, status: 502, latencyMs: 30_000, endUserId: 'emmy' }),
  rec({ ...bot, createdAt: T0 + HOUR, latencyMs: 120 }),
  rec({ ...carol, createdAt: T0 + 1_000, model: 'm2', latencyMs: 80, endUserId: 'alice@example.com' }),
  rec({ ...alice, model: '', endpoint: 'mcp.initialize', mcpServer: 'files', mcpTool: null, inputTokens: 0, outputTokens: 0, latencyMs: 5 }),
  rec({ ...alice, createdAt: T0 + 40_000, model: '', endpoint: 'mcp.tools/call', mcpServer: 'files', mcpTool: 'read', inputTokens: 0, outputTokens: 0, latencyMs: 7 }),
];
// Two writer flushes, so upserts add to rows already there.
insertUsageRows(h.sqlite, rows.slice(0, 5));
insertUsageRows(h.sqlite, rows.slice(5));

// A batch line's usage, through the batch store (finish() inserts it in the line's own transaction).
const store = new BatchStore(h.sql);
const batch = await store.create({ kind: 'team', id: 5 }, { keyId: 15, userId: 2, orgId: 1 }, { id: 'file-x', endpoint: '/v1/chat/completions', model: 'm1' }, null, 86_400_000);
h.sqlite.run("INSERT INTO batch_lines (batch_id, line_no, custom_id, body, state) VALUES (?, 1, 'a', '{}', 'pending')", [batch.id]);
expect(await store.claim(batch.id, 1, 'node-a', T0, T0 + 60_000)).toHaveLength(1);
const batchUsage = rec({ ...bot, createdAt: T0 + 3 * HOUR, inputTokens: 100, outputTokens: 50, latencyMs: 2_000 });
const outcome = { state: 'done', statusCode: 200, requestId: 'req-b', result: '{}', usage: batchUsage, inputTokens: 100, outputTokens: 50 } as const;
expect(await store.finish('node-a', [{ batchId: batch.id, lineNo: 1, outcome }])).toEqual([true]);

/** Each rollup dimension in raw-row terms, written out here rather than taken from the code under test. */
const RAW: Record<string, string> = {
  org_id: 'org_id', team_id: 'coalesce(team_id, 0)', user_id: 'user_id', key_id: 'key_id', model: 'model',
  mcp_server: "coalesce(mcp_server, '')", mcp_tool: "coalesce(mcp_tool, '')", end_user_id: 'end_user_id',
};
const TABLES = [
  ['usage_minute', 60, FAMILIES.key], ['usage_hour', 3600, FAMILIES.key], ['usage_day', 86400, FAMILIES.key],
  ['usage_org_hour', 3600, FAMILIES.org], ['usage_org_day', 86400, FAMILIES.org],
  ['usage_gateway_hour', 3600, FAMILIES.gateway], ['usage_gateway_day', 86400, FAMILIES.gateway],
  ['usage_end_user_minute', 60, FAMILIES.end_user], ['usage_end_user_hour', 3600, FAMILIES.end_user], ['usage_end_user_day', 86400, FAMILIES.end_user],
] as const;

describe('rollups equal the raw rows', () => {
  test('every rollup table is listed here', () => {
    expect(Object.values(FAMILIES).flatMap((f) => f.levels.map((l) => l.table)).sort()).toEqual(TABLES.map((t) => t[0]).sort());
  });

  for (const [table, seconds, family] of TABLES) {
    test(`${table}: every (bucket, dimensions) row is the sum of its raw rows`, () => {
      const dims = family.dims.map((d) => `${RAW[d]} AS ${d}`).join(', ');
      const where = family.name === 'end_user' ? "WHERE end_user_id <> ''" : '';
      const groupCols = Array.from({ length: family.dims.length + 1 }, (_, i) => i + 1).join(', ');
      const raw = h.sqlite
        .query(`SELECT (created_at / ${seconds * 1000}) * ${seconds} AS bucket_start, ${dims}, count(*) AS requests, sum(status >= 400) AS failures,
                  sum(input_tokens) AS input_tokens, sum(output_tokens) AS output_tokens, sum(latency_ms) AS latency_sum,
                  min(latency_ms) AS latency_min, max(latency_ms) AS latency_max
                  FROM usage ${where} GROUP BY ${groupCols} ORDER BY ${groupCols}`)
        .all();
      const rolled = h.sqlite
        .query(`SELECT bucket_start, ${family.dims.join(', ')}, requests, failures, input_tokens, output_tokens, latency_sum, latency_min, latency_max
                  FROM ${table} ORDER BY bucket_start, ${family.dims.join(', ')}`)
        .all();
      expect(raw.length).toBeGreaterThan(family.name === 'end_user' ? 1 : 3);
      expect(rolled).toEqual(raw);
    });
  }

  test("the minute rows: alice's first two m1 calls share one row, the 11 calls make 10 rows", () => {
    expect(h.sqlite.query('SELECT count(*) AS n, max(requests) AS most FROM usage_minute').get()).toEqual({ n: 10, most: 2 });
  });

  test('the histograms hold every row in its latency bucket', () => {
    const hist = (table: string) => {
      const r = h.sqlite.query(`SELECT ${Array.from({ length: 40 }, (_, i) => `sum(h${i}) AS h${i}`).join(', ')} FROM ${table}`).get() as Record<string, number>;
      return Array.from({ length: 40 }, (_, i) => r[`h${i}`]);
    };
    const expected = new Array(40).fill(0);
    for (const r of [...rows, batchUsage]) expected[histBucket(r.latencyMs)]++;
    for (const table of ['usage_minute', 'usage_hour', 'usage_day', 'usage_org_hour', 'usage_org_day', 'usage_gateway_hour', 'usage_gateway_day']) expect(hist(table)).toEqual(expected);
  });

  test('the batch line is counted once, with its batch id on the raw row', () => {
    expect(h.sqlite.query('SELECT count(*) AS n FROM usage WHERE batch_id = ?').get(batch.id)).toEqual({ n: 1 });
    expect(h.sqlite.query('SELECT sum(requests) AS n, sum(input_tokens) AS i FROM usage_hour WHERE bucket_start = ?').get(Math.floor((T0 + 3 * HOUR) / HOUR) * 3600)).toEqual({ n: 1, i: 100 });
  });
});

describe('usage summary', () => {
  const range = { since: T0 - HOUR, until: T0 + 4 * HOUR, now: Date.now() };
  const MODEL_GROUPS = ['model', 'key', 'user', 'team', 'user_id'] as const;
  const MCP_GROUPS = ['mcp_server', 'mcp_tool', 'key'] as const;
  const total = async (scope: Parameters<typeof usageSummary>[1]['scope'], calls: 'model' | 'mcp' = 'model') =>
    usageSummary(usageStore, { ...range, scope, calls, groupBy: [...(calls === 'model' ? MODEL_GROUPS : MCP_GROUPS)] });

  test('admin totals, series and breakdowns match the model calls', async () => {
    const s = await total({ kind: 'all' });
    const model = [...rows, batchUsage].filter((r) => !r.mcpServer);
    expect(s.totals).toMatchObject({
      requests: model.length,
      failures: model.filter((r) => r.status >= 400).length,
      input_tokens: model.reduce((a, r) => a + r.inputTokens, 0),
      output_tokens: model.reduce((a, r) => a + r.outputTokens, 0),
      avg_latency_ms: Math.round((model.reduce((a, r) => a + r.latencyMs, 0) / model.length) * 10) / 10,
    });
    expect(s.bucket).toBe('minute'); // a 5 h span: per minute (up to 6 h)
    expect(s.series.reduce((a, p) => a + p.requests, 0)).toBe(model.length);
    expect(s.series.every((p) => p.bucket_start % 60 === 0)).toBe(true);
    expect(s.top.model!.map((r) => [r.group, r.requests])).toEqual([['m1', 7], ['m2', 2]]);
    expect(s.top.user_id!.map((r) => [r.group, r.requests])).toEqual([['emmy', 2], ['alice@example.com', 1]]); // calls that sent one
    expect(s.top.team!.map((r) => [r.group, r.requests])).toEqual([[null, 6], [5, 3]]);
    // per hour, the same calls
    const hourly = await usageSummary(usageStore, { ...range, scope: { kind: 'all' }, bucket: 'hour' });
    expect(hourly.series.map((p) => p.bucket_start % 3600)).toEqual(hourly.series.map(() => 0));
    expect(hourly.totals).toEqual(s.totals);
  });

  test('scope: a user sees their personal keys and their teams only; user_id is a label, not a way in', async () => {
    const a = await total({ kind: 'user', userId: 1, teamIds: [] });
    expect(a.totals.requests).toBe(4);
    expect(a.top.user_id).toEqual([]); // carol's call labelled with alice's email stays carol's
    expect(a.top.key!.map((r) => r.group)).toEqual([11]);
    const b = await total({ kind: 'user', userId: 2, teamIds: [5] });
    expect(b.totals.requests).toBe(1 + 3);
    expect(b.top.key!.map((r) => r.group).sort()).toEqual([12, 15]);
    expect((await total({ kind: 'user', userId: 2, teamIds: [] })).totals.requests).toBe(1); // left the team: the bot's calls go
    expect((await usageSummary(usageStore, { ...range, scope: { kind: 'user', userId: 3, teamIds: [] }, groupBy: ['org'] })).top.org!.map((r) => r.group)).toEqual([2]);
    expect((await total({ kind: 'org', orgId: 2 })).totals.requests).toBe(1);
    expect((await total({ kind: 'all', orgId: 1 })).totals.requests).toBe(4 + 1 + 3);
    expect((await total({ kind: 'key', keyId: 15 })).totals).toMatchObject({ requests: 3, failures: 1 });
    expect((await total({ kind: 'user', userId: 99, teamIds: [] })).totals).toMatchObject({ requests: 0, p95_latency_ms: null });
  });

  test('a series per model: the busiest first, each adding up to its breakdown row', async () => {
    const s = await usageSummary(usageStore, { ...range, scope: { kind: 'all' }, bucket: 'hour', groupBy: ['model'], seriesBy: 'model' });
    expect(s.seriesOf!.map((g) => [g.group, g.series.reduce((a, p) => a + p.requests, 0)])).toEqual([['m1', 7], ['m2', 2]]);
    expect(s.seriesOf!.map((g): unknown => g.group)).toEqual(s.top.model!.map((r): unknown => r.group));
    // gateway-wide per day: the gateway rollups for the series and models, the org rollups for orgs; same totals
    const daily = await usageSummary(usageStore, { ...range, scope: { kind: 'all' }, bucket: 'day', groupBy: ['org', 'model'] });
    expect(daily.top.org!.map((r) => [r.group, r.requests])).toEqual([[1, 8], [2, 1]]); // org 1: alice 4, bob 1, the bot 2 + its batch line
    expect(daily.top.model!.map((r) => [r.group, r.requests])).toEqual([['m1', 7], ['m2', 2]]);
    expect(daily.totals).toEqual(s.totals);
    expect((await usageSummary(usageStore, { ...range, scope: { kind: 'org', orgId: 1 }, bucket: 'hour' })).totals.requests).toBe(8);
    // the gateway rollups (hourly, broad scope) and the key rollups (a user) agree on alice's models
    const alice = await usageSummary(usageStore, { ...range, scope: { kind: 'user', userId: 1, teamIds: [] }, bucket: 'hour', seriesBy: 'model' });
    expect(alice.seriesOf!.map((g) => [g.group, g.series.reduce((a, p) => a + p.requests, 0)])).toEqual([['m1', 3], ['m2', 1]]);
  });

  test('MCP calls are their own summary: per server and tool', async () => {
    const s = await total({ kind: 'user', userId: 1, teamIds: [] }, 'mcp');
    expect(s.totals).toMatchObject({ requests: 2, input_tokens: 0 });
    expect(s.top.mcp_server!.map((r) => [r.group, r.requests])).toEqual([['files', 2]]);
    expect(s.top.mcp_tool!.map((r) => [r.group, r.requests])).toEqual([['files/read', 1]]);
  });
});

describe('percentiles', () => {
  test('within 2^(1/4) (19 %) of the exact nearest-rank value, exact when all values are equal', () => {
    const values = Array.from({ length: 5_000 }, (_, i) => Math.round(Math.exp(1 + ((i * 7919) % 5000) / 400)));
    const hist = new Array(40).fill(0);
    for (const v of values) hist[histBucket(v)]++;
    const sorted = [...values].sort((a, b) => a - b);
    const min = sorted[0]!, max = sorted[sorted.length - 1]!;
    for (const q of [0.5, 0.9, 0.95, 0.99]) {
      const exact = sorted[Math.ceil(q * sorted.length) - 1]!;
      const est = percentile(hist, q, min, max)!;
      expect(est / exact).toBeLessThanOrEqual(2 ** 0.25 + 1 / exact);
      expect(exact / est).toBeLessThanOrEqual(2 ** 0.25 + 1 / est);
    }
    const same = new Array(40).fill(0);
    same[histBucket(60_000)] = 7;
    expect(percentile(same, 0.95, 60_000, 60_000)).toBe(60_000);
    expect(percentile(new Array(40).fill(0), 0.5, 0, 0)).toBeNull();
  });

  test('bucket edges: each bucket holds (UPPER[i-1], UPPER[i]]', () => {
    expect([0, 1, 2, 3, 4, 1000].map(histBucket)).toEqual([0, 0, 2, 4, 4, 20]);
    for (let i = 1; i < 39; i++) if (UPPER[i]! > UPPER[i - 1]!) expect(histBucket(UPPER[i]!)).toBe(i);
    expect(histBucket(10 ** 9)).toBe(39);
  });
});

describe('pruning', () => {
  const count = (table: string, seconds: number, cutMs: number) =>
    (h.sqlite.query(`SELECT count(*) AS n FROM ${table} WHERE bucket_start + ${seconds} <= ?`).get(Math.floor(cutMs / 1000)) as { n: number }).n;
  const all = (table: string) => (h.sqlite.query(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;

  test('minute rows after 48 h (a row stays while part of its minute is within), nothing else', async () => {
    const now = T0 + 49 * HOUR; // minute rows of the first hour go
    const oldMinutes = count('usage_minute', 60, now - 48 * HOUR) + count('usage_end_user_minute', 60, now - 48 * HOUR);
    const keptMinutes = all('usage_minute') - count('usage_minute', 60, now - 48 * HOUR);
    expect(oldMinutes).toBeGreaterThan(1);
    expect(keptMinutes).toBeGreaterThan(0);
    const hours = all('usage_hour');
    expect(await pruneRollups(usageStore, 30 * 86_400_000, now)).toBe(oldMinutes);
    expect(all('usage_minute')).toBe(keptMinutes);
    expect(all('usage_hour')).toBe(hours);
  });

  test('hour and day rows after the usage retention', async () => {
    // 30 days after the hour following T0: the hours up to it have ended before the cut, the later ones not
    const later = Math.floor(T0 / HOUR) * HOUR + HOUR + 30 * 86_400_000;
    const cut = later - 30 * 86_400_000;
    const oldHours = count('usage_hour', 3600, cut);
    expect(oldHours).toBeGreaterThan(0);
    expect(oldHours).toBeLessThan(all('usage_hour'));
    const expected = ['usage_hour', 'usage_org_hour', 'usage_gateway_hour', 'usage_end_user_hour'].reduce((a, t) => a + count(t, 3600, cut), 0)
      + ['usage_day', 'usage_org_day', 'usage_gateway_day', 'usage_end_user_day'].reduce((a, t) => a + count(t, 86400, cut), 0)
      + ['usage_minute', 'usage_end_user_minute'].reduce((a, t) => a + all(t), 0); // 30 days on, every minute row is old
    expect(await pruneRollups(usageStore, 30 * 86_400_000, later)).toBe(expected);
    expect(count('usage_hour', 3600, cut)).toBe(0);
    expect(all('usage_hour')).toBeGreaterThan(0);
  });
});

describe('coverage: a range cut into as few rows as possible', () => {
  const now = Date.UTC(2026, 10, 30, 12, 17, 40);
  const at = (iso: string) => Date.parse(iso) / 1000;

  test('30 days: whole days, then hours, then minutes at the recent edge; the old edge rounded to the hour', () => {
    const c = cover(FAMILIES.key, now - 30 * 86_400_000, now, now)!;
    expect(c.since).toBe(at('2026-10-31T12:00:00Z')); // older than 48 h: the minute rows are gone
    expect(c.until).toBe(at('2026-11-30T12:18:00Z')); // the current minute so far
    expect(c.pieces).toEqual([
      { table: 'usage_day', from: at('2026-11-01T00:00:00Z'), to: at('2026-11-30T00:00:00Z') },
      { table: 'usage_hour', from: at('2026-10-31T12:00:00Z'), to: at('2026-11-01T00:00:00Z') },
      { table: 'usage_hour', from: at('2026-11-30T00:00:00Z'), to: at('2026-11-30T12:00:00Z') },
      { table: 'usage_minute', from: at('2026-11-30T12:00:00Z'), to: at('2026-11-30T12:18:00Z') },
    ]);
  });

  test('6 hours: exact to the minute at both edges; the org family (no minute rows) to the hour', () => {
    const c = cover(FAMILIES.key, now - 6 * 3_600_000, now, now)!;
    expect([c.since, c.until]).toEqual([at('2026-11-30T06:17:00Z'), at('2026-11-30T12:18:00Z')]);
    expect(c.pieces.map((p) => p.table)).toEqual(['usage_hour', 'usage_minute', 'usage_minute']);
    const o = cover(FAMILIES.org, now - 6 * 3_600_000, now, now)!;
    expect([o.since, o.until]).toEqual([at('2026-11-30T06:00:00Z'), at('2026-11-30T13:00:00Z')]);
    expect(o.pieces).toEqual([{ table: 'usage_org_hour', from: o.since, to: o.until }]);
  });

  test('a series of hourly points reads no day rows; minute points older than 48 h cannot be served', () => {
    const c = cover(FAMILIES.key, now - 7 * 86_400_000, now, now, 3_600)!;
    expect(new Set(c.pieces.map((p) => p.table))).toEqual(new Set(['usage_hour', 'usage_minute']));
    expect(cover(FAMILIES.key, now - 3 * 86_400_000, now - 2.5 * 86_400_000, now, 60)).toBeNull();
  });
});

describe('the migration backfills the rows stored before it', () => {
  test('its backfill statements are the ones the code generates (rollupFromRawSql)', () => {
    const sql = readFileSync(join(import.meta.dir, '../../drizzle/0009_usage_rollups.sql'), 'utf8');
    for (const stmt of backfillStatements()) expect(sql).toContain(stmt.replace(/\n\s+/g, ' '));
  });

  test('the backfill gives the same rollups as the writer', () => {
    const fresh = () => {
      const db = openMemoryDatabase();
      migrate(db.sqlite);
      return db;
    };
    const written = fresh();
    insertUsageRows(written.sqlite, [...rows, batchUsage]);
    const backfilled = fresh();
    backfilled.sqlite.transaction(() => {
      insertUsageRows(backfilled.sqlite, [...rows, batchUsage]);
      for (const [table] of TABLES) backfilled.sqlite.run(`DELETE FROM ${table}`); // the rows as they were before the migration
    })();
    for (const stmt of backfillStatements()) backfilled.sqlite.run(stmt);
    for (const [table] of TABLES) {
      const q = `SELECT * FROM ${table} ORDER BY 1, 2, 3, 4, 5, 6, 7`;
      expect(written.sqlite.query(q).all().length).toBeGreaterThan(0);
      expect(backfilled.sqlite.query(q).all()).toEqual(written.sqlite.query(q).all());
    }
    written.close();
    backfilled.close();
  });
});

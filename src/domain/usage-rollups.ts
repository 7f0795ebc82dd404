/**
 * Usage rollups: the usage rows summed per minute (usage_minute) and per hour (usage_hour) and per
 * combination of dimensions (org, team, user, key, model, end-user user_id, MCP server and tool). They are
 * maintained by insertUsageRows in the transaction that inserts the rows, so they are always exactly the
 * sums of the rows; reports read them instead of scanning the raw table (src/domain/usage-summary.ts).
 *
 * Each call of addToRollups sums its rows in memory first and upserts one row per (bucket, dimensions), so
 * a writer flush of 2000 calls costs a few dozen upserts per table, not 2000.
 *
 * Retention: minute rows 48 h (they serve spans up to 6 h and the minute edges of longer ones), hour rows
 * as long as the raw rows (the usage retention), pruned by the same daily job.
 */
import type { Database, Statement } from 'bun:sqlite';
import { HIST_BUCKETS, HIST_COLUMNS, histBucket, histBucketSql } from './latency-histogram';
import type { UsageRecord } from './usage-rows';

export const ROLLUPS = [
  { table: 'usage_minute', seconds: 60 },
  { table: 'usage_hour', seconds: 3_600 },
] as const;
export type RollupTable = (typeof ROLLUPS)[number]['table'];

/** How long minute rows are kept. */
export const MINUTE_RETENTION_MS = 48 * 3_600_000;

const DIMS = ['bucket_start', 'org_id', 'team_id', 'user_id', 'key_id', 'model', 'end_user_id', 'mcp_server', 'mcp_tool'] as const;
const SUMS = ['requests', 'failures', 'input_tokens', 'output_tokens', 'latency_sum', ...HIST_COLUMNS];
const ALL = [...DIMS, ...SUMS, 'latency_min', 'latency_max'];

interface Acc {
  dims: (number | string)[];
  /** requests, failures, input, output, latency sum, h0..h39 (the order of SUMS). */
  sums: number[];
  min: number;
  max: number;
}

function upsertSql(table: string): string {
  const set = [
    ...SUMS.map((c) => `${c} = ${c} + excluded.${c}`),
    'latency_min = min(latency_min, excluded.latency_min)',
    'latency_max = max(latency_max, excluded.latency_max)',
  ];
  return `INSERT INTO ${table} (${ALL.join(', ')}) VALUES (${ALL.map(() => '?').join(', ')})
          ON CONFLICT (${DIMS.join(', ')}) DO UPDATE SET ${set.join(', ')}`;
}

const statements = new WeakMap<Database, Statement[]>();

/** Adds rows to both rollups; call inside the transaction that inserts them. */
export function addToRollups(db: Database, rows: UsageRecord[]): void {
  let stmts = statements.get(db);
  if (!stmts) {
    stmts = ROLLUPS.map((r) => db.prepare(upsertSql(r.table)));
    statements.set(db, stmts);
  }
  ROLLUPS.forEach((r, i) => {
    for (const acc of sumRows(rows, r.seconds).values()) stmts[i]!.run(...acc.dims, ...acc.sums, acc.min, acc.max);
  });
}

function sumRows(rows: UsageRecord[], seconds: number): Map<string, Acc> {
  const out = new Map<string, Acc>();
  for (const r of rows) {
    const dims = [
      Math.floor(r.createdAt / (seconds * 1000)) * seconds, r.orgId, r.teamId ?? 0, r.userId, r.keyId, r.model, r.endUserId,
      r.mcpServer ?? '', r.mcpTool ?? '',
    ];
    const id = JSON.stringify(dims);
    let acc = out.get(id);
    if (!acc) {
      acc = { dims, sums: new Array<number>(5 + HIST_BUCKETS).fill(0), min: r.latencyMs, max: r.latencyMs };
      out.set(id, acc);
    }
    const s = acc.sums;
    s[0]! += 1;
    s[1]! += r.status >= 400 ? 1 : 0;
    s[2]! += r.inputTokens;
    s[3]! += r.outputTokens;
    s[4]! += r.latencyMs;
    s[5 + histBucket(r.latencyMs)]! += 1;
    acc.min = Math.min(acc.min, r.latencyMs);
    acc.max = Math.max(acc.max, r.latencyMs);
  }
  return out;
}

/**
 * One SQL pass that adds the raw usage rows matching `where` (e.g. a created_at range) to a rollup: the
 * migration's backfill of existing rows, and the benchmark's bulk load. Not for rows already counted.
 */
export function rollupFromRawSql(table: RollupTable, where: string): string {
  const seconds = ROLLUPS.find((r) => r.table === table)!.seconds;
  const bucket = histBucketSql('latency_ms');
  const dims = [`(created_at / ${seconds * 1000}) * ${seconds}`, 'org_id', 'coalesce(team_id, 0)', 'user_id', 'key_id', 'model', 'end_user_id', "coalesce(mcp_server, '')", "coalesce(mcp_tool, '')"];
  const hist = HIST_COLUMNS.map((_, i) => `sum(b = ${i})`).join(', ');
  return `INSERT INTO ${table} (${ALL.join(', ')})
    SELECT ${DIMS.join(', ')}, count(*), sum(status >= 400), sum(input_tokens), sum(output_tokens), sum(latency_ms), ${hist}, min(latency_ms), max(latency_ms)
      FROM (SELECT ${dims.map((d, i) => `${d} AS ${DIMS[i]}`).join(', ')}, status, input_tokens, output_tokens, latency_ms, ${bucket} AS b
              FROM usage WHERE ${where})
     WHERE true GROUP BY ${DIMS.join(', ')}
    ON CONFLICT (${DIMS.join(', ')}) DO UPDATE SET ${[...SUMS.map((c) => `${c} = ${c} + excluded.${c}`), 'latency_min = min(latency_min, excluded.latency_min)', 'latency_max = max(latency_max, excluded.latency_max)'].join(', ')}`;
}

/** Deletes minute rows older than 48 h and hour rows older than the usage retention; returns how many. */
export function pruneRollups(sqlite: Database, retentionMs: number, now = Date.now()): { minute: number; hour: number } {
  const minute = sqlite.run('DELETE FROM usage_minute WHERE bucket_start < ?', [Math.floor((now - MINUTE_RETENTION_MS) / 1000)]).changes;
  // An hour row is kept while any of its hour is within the retention period.
  const hour = sqlite.run('DELETE FROM usage_hour WHERE bucket_start + 3600 <= ?', [Math.floor((now - retentionMs) / 1000)]).changes;
  return { minute, hour };
}

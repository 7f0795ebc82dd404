/**
 * Usage rollups: the usage rows summed per time bucket and per combination of dimensions, in three families
 * of different breadth, so every page reads few rows whatever the traffic:
 *
 * - key      (usage_minute, usage_hour, usage_day): org, team, user, key, model, MCP server and tool. Serves
 *            one org, team, user or key: breakdowns by key, user, team and the series of narrow scopes.
 * - org      (usage_org_hour, usage_org_day): org, model, MCP server and tool. Serves the org-wide series
 *            and the breakdowns by org (and an org's by model), without a row per key.
 * - gateway  (usage_gateway_hour, usage_gateway_day): model, MCP server and tool. Serves the gateway-wide
 *            series and breakdowns by model: a row per model and hour, however many orgs there are.
 * - end_user (usage_end_user_minute, _hour, _day): the end-user `user_id` of calls that sent one, with
 *            their key's org, team and user. Its own family because user_ids can be as many as calls: folded
 *            into the others (as in the first attempt) they multiplied every family's rows.
 *
 * They are maintained in the transaction that inserts the rows (so they always equal the sums of the rows),
 * on the writer thread: rollupUpserts says what to add, each dialect's usage store adds it. Each call sums
 * its rows in memory first, at the finest bucket, and derives the coarser ones from those sums: a row costs
 * one map update, and a flush one upsert per (bucket, dimensions) per table, not per row.
 *
 * Retention: minute rows 48 h (the 1 h view and the exact minute edges of recent ranges), hour and day rows
 * as long as the raw rows (the usage retention), pruned by the same daily job.
 */
import type { RollupUpsert, UsageStore } from '../db/usage-store';
import { HIST_BUCKETS, HIST_COLUMNS, histBucket, histBucketSql } from './latency-histogram';
import type { UsageRecord } from './usage-rows';

export const MINUTE = 60;
export const HOUR = 3_600;
export const DAY = 86_400;

export type FamilyName = 'key' | 'org' | 'gateway' | 'end_user';

export interface RollupLevel {
  table: string;
  seconds: number;
}

export interface Family {
  name: FamilyName;
  /** Dimension columns after bucket_start, in primary-key order. */
  dims: readonly string[];
  /** Whether the rows carry the latency histogram (for percentiles). */
  hist: boolean;
  /** Finest first. */
  levels: readonly RollupLevel[];
}

export const FAMILIES: Record<FamilyName, Family> = {
  key: {
    name: 'key',
    dims: ['org_id', 'team_id', 'user_id', 'key_id', 'model', 'mcp_server', 'mcp_tool'],
    hist: true,
    levels: [
      { table: 'usage_minute', seconds: MINUTE },
      { table: 'usage_hour', seconds: HOUR },
      { table: 'usage_day', seconds: DAY },
    ],
  },
  org: {
    name: 'org',
    dims: ['org_id', 'model', 'mcp_server', 'mcp_tool'],
    hist: true,
    levels: [
      { table: 'usage_org_hour', seconds: HOUR },
      { table: 'usage_org_day', seconds: DAY },
    ],
  },
  gateway: {
    name: 'gateway',
    dims: ['model', 'mcp_server', 'mcp_tool'],
    hist: true,
    levels: [
      { table: 'usage_gateway_hour', seconds: HOUR },
      { table: 'usage_gateway_day', seconds: DAY },
    ],
  },
  end_user: {
    name: 'end_user',
    dims: ['org_id', 'team_id', 'user_id', 'key_id', 'end_user_id', 'mcp_server'],
    hist: false,
    levels: [
      { table: 'usage_end_user_minute', seconds: MINUTE },
      { table: 'usage_end_user_hour', seconds: HOUR },
      { table: 'usage_end_user_day', seconds: DAY },
    ],
  },
};

/** How long minute rows are kept. */
export const MINUTE_RETENTION_MS = 48 * 3_600_000;

const BASE_SUMS = ['requests', 'failures', 'input_tokens', 'output_tokens', 'latency_sum'];
const sumsOf = (f: Family) => (f.hist ? [...BASE_SUMS, ...HIST_COLUMNS] : BASE_SUMS);
const columnsOf = (f: Family) => ['bucket_start', ...f.dims, ...sumsOf(f), 'latency_min', 'latency_max'];

/** Sums of some rows with the same dimensions (and bucket). */
interface Acc {
  bucket: number;
  dims: (number | string)[];
  /** requests, failures, input, output, latency sum, then h0..h39 (always kept; written when the family has them). */
  sums: number[];
  min: number;
  max: number;
}

const newAcc = (bucket: number, dims: (number | string)[], min: number, max: number): Acc => ({
  bucket, dims, sums: new Array<number>(BASE_SUMS.length + HIST_BUCKETS).fill(0), min, max,
});

function mergeInto(into: Acc, from: Acc): void {
  for (let i = 0; i < from.sums.length; i++) into.sums[i]! += from.sums[i]!;
  into.min = Math.min(into.min, from.min);
  into.max = Math.max(into.max, from.max);
}

function addRecord(acc: Acc, r: UsageRecord): void {
  const s = acc.sums;
  s[0]! += 1;
  s[1]! += r.status >= 400 ? 1 : 0;
  s[2]! += r.inputTokens;
  s[3]! += r.outputTokens;
  s[4]! += r.latencyMs;
  s[BASE_SUMS.length + histBucket(r.latencyMs)]! += 1;
  acc.min = Math.min(acc.min, r.latencyMs);
  acc.max = Math.max(acc.max, r.latencyMs);
}

/** The rows summed per minute and every dimension of the key family and (separately) the end-user one. */
function sumByMinute(rows: UsageRecord[]): { key: Acc[]; endUser: Acc[] } {
  const key = new Map<string, Acc>();
  const endUser = new Map<string, Acc>();
  for (const r of rows) {
    const minute = Math.floor(r.createdAt / 60_000) * 60;
    const team = r.teamId ?? 0;
    const server = r.mcpServer ?? '';
    const tool = r.mcpTool ?? '';
    const id = `${minute}\u0000${r.keyId}\u0000${r.orgId}\u0000${team}\u0000${r.userId}\u0000${r.model}\u0000${server}\u0000${tool}`;
    let acc = key.get(id);
    if (!acc) key.set(id, (acc = newAcc(minute, [r.orgId, team, r.userId, r.keyId, r.model, server, tool], r.latencyMs, r.latencyMs)));
    addRecord(acc, r);
    if (r.endUserId !== '') {
      const eid = `${minute}\u0000${r.keyId}\u0000${r.orgId}\u0000${team}\u0000${r.userId}\u0000${r.endUserId}\u0000${server}`;
      let e = endUser.get(eid);
      if (!e) endUser.set(eid, (e = newAcc(minute, [r.orgId, team, r.userId, r.keyId, r.endUserId, server], r.latencyMs, r.latencyMs)));
      addRecord(e, r);
    }
  }
  return { key: [...key.values()], endUser: [...endUser.values()] };
}

/** Regroups sums to a coarser bucket and, optionally, fewer dimensions (`pick` chooses them). */
function regroup(accs: Acc[], seconds: number, pick: (dims: (number | string)[]) => (number | string)[] = (d) => d): Acc[] {
  const out = new Map<string, Acc>();
  for (const a of accs) {
    const bucket = Math.floor(a.bucket / seconds) * seconds;
    const dims = pick(a.dims);
    const id = `${bucket}\u0000${dims.join('\u0000')}`;
    let acc = out.get(id);
    if (!acc) out.set(id, (acc = newAcc(bucket, dims, a.min, a.max)));
    mergeInto(acc, a);
  }
  return [...out.values()];
}

/** key dims (org, team, user, key, model, server, tool) → org dims (org, model, server, tool). */
const toOrgDims = (d: (number | string)[]) => [d[0]!, d[4]!, d[5]!, d[6]!];
/** org dims → gateway dims (model, server, tool). */
const toGatewayDims = (d: (number | string)[]) => [d[1]!, d[2]!, d[3]!];

/** Rows in primary-key order, so every writer locks rollup rows in the same order (no deadlocks between nodes). */
function byKey(a: Acc, b: Acc): number {
  if (a.bucket !== b.bucket) return a.bucket - b.bucket;
  for (let i = 0; i < a.dims.length; i++) {
    const x = a.dims[i]!;
    const y = b.dims[i]!;
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

function upsert(f: Family, table: string, accs: Acc[]): RollupUpsert {
  const sums = f.hist ? BASE_SUMS.length + HIST_BUCKETS : BASE_SUMS.length;
  return {
    table,
    columns: columnsOf(f),
    key: ['bucket_start', ...f.dims],
    add: sumsOf(f),
    least: ['latency_min'],
    greatest: ['latency_max'],
    rows: accs.sort(byKey).map((a) => [a.bucket, ...a.dims, ...a.sums.slice(0, sums), a.min, a.max]),
  };
}

/**
 * What rows add to every rollup table, tables in a fixed order: the store upserts them in the transaction
 * that inserts the rows (src/db/usage-store.ts).
 */
export function rollupUpserts(rows: UsageRecord[]): RollupUpsert[] {
  if (rows.length === 0) return [];
  const out: RollupUpsert[] = [];
  const { key, endUser } = sumByMinute(rows);
  const [minute, hour, day] = FAMILIES.key.levels;
  const keyHour = regroup(key, HOUR);
  out.push(upsert(FAMILIES.key, minute!.table, key));
  out.push(upsert(FAMILIES.key, hour!.table, keyHour));
  out.push(upsert(FAMILIES.key, day!.table, regroup(keyHour, DAY)));
  const orgHour = regroup(keyHour, HOUR, toOrgDims);
  out.push(upsert(FAMILIES.org, FAMILIES.org.levels[0]!.table, orgHour));
  out.push(upsert(FAMILIES.org, FAMILIES.org.levels[1]!.table, regroup(orgHour, DAY)));
  const gatewayHour = regroup(orgHour, HOUR, toGatewayDims);
  out.push(upsert(FAMILIES.gateway, FAMILIES.gateway.levels[0]!.table, gatewayHour));
  out.push(upsert(FAMILIES.gateway, FAMILIES.gateway.levels[1]!.table, regroup(gatewayHour, DAY)));
  if (endUser.length) {
    const [euMinute, euHour, euDay] = FAMILIES.end_user.levels;
    const byHour = regroup(endUser, HOUR);
    out.push(upsert(FAMILIES.end_user, euMinute!.table, endUser));
    out.push(upsert(FAMILIES.end_user, euHour!.table, byHour));
    out.push(upsert(FAMILIES.end_user, euDay!.table, regroup(byHour, DAY)));
  }
  return out;
}

/** Each rollup dimension in terms of the raw usage columns. */
const RAW: Record<string, string> = {
  org_id: 'org_id',
  team_id: 'coalesce(team_id, 0)',
  user_id: 'user_id',
  key_id: 'key_id',
  model: 'model',
  mcp_server: "coalesce(mcp_server, '')",
  mcp_tool: "coalesce(mcp_tool, '')",
  end_user_id: 'end_user_id',
};

/**
 * SQLite only (integer booleans, unixepoch): the text of SQLite migration 0009, kept here because it is
 * generated from FAMILIES and a test holds the migration to it. A PostgreSQL database starts with no rows.
 *
 * One SQL statement that adds the raw usage rows matching `where` (e.g. a created_at range) to one rollup
 * table: the migration's backfill of existing rows, and the benchmark's bulk load. Not for rows already counted.
 */
export function rollupFromRawSql(f: Family, table: string, where: string): string {
  const seconds = f.levels.find((l) => l.table === table)!.seconds;
  const dims = f.dims.map((d) => `${RAW[d]} AS ${d}`);
  const only = f.name === 'end_user' ? " AND end_user_id <> ''" : '';
  const hist = f.hist ? `, ${HIST_COLUMNS.map((_, i) => `sum(b = ${i})`).join(', ')}` : '';
  const set = [...sumsOf(f).map((c) => `${c} = ${c} + excluded.${c}`), 'latency_min = min(latency_min, excluded.latency_min)', 'latency_max = max(latency_max, excluded.latency_max)'];
  return `INSERT INTO ${table} (${columnsOf(f).join(', ')})
    SELECT bucket_start, ${f.dims.join(', ')}, count(*), sum(status >= 400), sum(input_tokens), sum(output_tokens), sum(latency_ms)${hist}, min(latency_ms), max(latency_ms)
      FROM (SELECT (created_at / ${seconds * 1000}) * ${seconds} AS bucket_start, ${dims.join(', ')}, status, input_tokens, output_tokens, latency_ms${f.hist ? `, ${histBucketSql('latency_ms')} AS b` : ''}
              FROM usage WHERE (${where})${only})
     WHERE true GROUP BY bucket_start, ${f.dims.join(', ')}
    ON CONFLICT (bucket_start, ${f.dims.join(', ')}) DO UPDATE SET ${set.join(', ')}`;
}

/** Every rollup table's backfill from the raw rows (minute rows for the last 48 h only). */
export function backfillStatements(): string[] {
  const out: string[] = [];
  for (const f of Object.values(FAMILIES)) {
    for (const l of f.levels) {
      out.push(rollupFromRawSql(f, l.table, l.seconds === MINUTE ? `created_at >= (unixepoch() - ${MINUTE_RETENTION_MS / 1000}) * 1000` : '1'));
    }
  }
  return out;
}

/** Deletes minute rows older than 48 h and hour and day rows older than the usage retention; returns how many. */
export async function pruneRollups(store: UsageStore, retentionMs: number, now = Date.now()): Promise<number> {
  let deleted = 0;
  for (const f of Object.values(FAMILIES)) {
    for (const l of f.levels) {
      const keepMs = l.seconds === MINUTE ? MINUTE_RETENTION_MS : retentionMs;
      // A row is kept while any part of its bucket is within the period.
      deleted += await store.run(`DELETE FROM ${l.table} WHERE bucket_start + ${l.seconds} <= ?`, [Math.floor((now - keepMs) / 1000)]);
    }
  }
  return deleted;
}

/**
 * Usage reports: counts, failures, tokens, average and p95 latency per group (model, key, user, team,
 * org, the end-user `user_id`, MCP server or MCP tool), optionally per minute/hour/day bucket, over a time
 * range and within what the caller may see.
 *
 * A report counts one kind of call: model calls (rows without an MCP server) or MCP calls (rows with one;
 * src/routes/mcp.ts writes them with model ''). Mixing them gave a blank model row whose long latencies
 * skewed p95, and a null MCP-server row holding every model call.
 */
import type { UsageStore } from '../db/usage-store';

export const GROUPS = ['model', 'key', 'user', 'team', 'org', 'user_id', 'mcp_server', 'mcp_tool'] as const;
export type GroupBy = (typeof GROUPS)[number];
export const BUCKETS = ['minute', 'hour', 'day'] as const;
export type Bucket = (typeof BUCKETS)[number];
export const CALLS = ['model', 'mcp'] as const;
export type Calls = (typeof CALLS)[number];

/** Groups that exist for one kind of call only; the others (key, user, team, org, user_id) fit both. */
const ONLY: Partial<Record<GroupBy, Calls>> = { model: 'model', mcp_server: 'mcp', mcp_tool: 'mcp' };

/**
 * The kind of call a report counts: the one asked for, else the one its grouping implies (MCP for
 * mcp_server/mcp_tool, model otherwise). A grouping that does not exist for the kind asked for is an error
 * message naming both (the caller turns it into a 400 or a usage error).
 */
export function callsFor(groupBy: GroupBy, calls: Calls | undefined): { calls: Calls } | { error: string } {
  const only = ONLY[groupBy];
  if (calls === undefined) return { calls: only ?? 'model' };
  if (only !== undefined && only !== calls) return { error: `group_by=${groupBy} counts ${only} calls only; it cannot be combined with calls=${calls}` };
  return { calls };
}

/** Which rows a caller may see. */
export type UsageScope =
  | { kind: 'all'; orgId?: number }
  | { kind: 'org'; orgId: number }
  | { kind: 'key'; keyId: number }
  /** A team: its service accounts' calls (a member's personal keys count for the member). */
  | { kind: 'team'; teamId: number }
  /**
   * A user: their personal keys and their teams' service accounts. The end-user `user_id` of a call is a
   * label inside the caller's own scope, never a way into someone else's report: any key may send any
   * user_id, so matching it would let a stranger plant rows (with their key, email and org) in a report.
   */
  | { kind: 'user'; userId: number; teamIds: number[] };

export interface ReportQuery {
  since: number;
  until: number;
  groupBy: GroupBy;
  bucket?: Bucket;
  /** Which calls are counted (see callsFor). */
  calls: Calls;
  scope: UsageScope;
}

export interface ReportRow {
  group: string | number | null;
  label: string | null;
  /** What the row counts: model calls or MCP calls. */
  calls: Calls;
  /** Start of the bucket in Unix seconds (like OpenAI's `created`); null without buckets. */
  bucket_start: number | null;
  requests: number;
  failures: number;
  input_tokens: number;
  output_tokens: number;
  avg_latency_ms: number;
  p95_latency_ms: number;
}

const GROUP_COLUMN: Record<GroupBy, string> = {
  model: 'model',
  key: 'key_id',
  user: 'user_id',
  team: 'team_id',
  org: 'org_id',
  user_id: 'end_user_id',
  mcp_server: 'mcp_server',
  // Tool names are per server; server names cannot contain '/' (src/config/mcp-config.ts), so this is unambiguous.
  mcp_tool: "mcp_server || '/' || mcp_tool",
};
/** Seconds per bucket (also the usage summary's series buckets). */
export const BUCKET_S: Record<Bucket, number> = { minute: 60, hour: 3_600, day: 86_400 };
/** Which usage rows each kind of call is. mcp_tool counts tools/call rows only (a session start has no tool). */
const CALLS_SQL: Record<Calls, string> = { model: 'mcp_server IS NULL', mcp: 'mcp_server IS NOT NULL' };
/** What names the ids of a group: a key "name (sk-...abcd)", a user's email, a team's or org's name. */
export const LABEL_SQL: Partial<Record<GroupBy, string>> = {
  key: "SELECT id, name || ' (' || preview || ')' AS label FROM api_keys",
  user: 'SELECT id, email AS label FROM users',
  team: 'SELECT id, name AS label FROM teams',
  org: 'SELECT id, name AS label FROM orgs',
};

/**
 * The scope as a WHERE condition. `noTeam` is how a personal key's call says it has no team: NULL in the
 * usage rows, 0 in the rollups (whose primary keys cannot hold NULL).
 */
export function scopeSql(scope: UsageScope, noTeam = 'team_id IS NULL'): { sql: string; params: number[] } {
  switch (scope.kind) {
    case 'all':
      return scope.orgId === undefined ? { sql: '1 = 1', params: [] } : { sql: 'org_id = ?', params: [scope.orgId] };
    case 'org':
      return { sql: 'org_id = ?', params: [scope.orgId] };
    case 'key':
      return { sql: 'key_id = ?', params: [scope.keyId] };
    case 'team':
      return { sql: 'team_id = ?', params: [scope.teamId] };
    case 'user': {
      const teams = scope.teamIds.length ? ` OR team_id IN (${scope.teamIds.map(() => '?').join(', ')})` : '';
      return { sql: `((user_id = ? AND ${noTeam})${teams})`, params: [scope.userId, ...scope.teamIds] };
    }
  }
}

/** Nulls first, then numbers or strings ascending (SQLite's order; PostgreSQL puts nulls last). */
function compareGroups(a: string | number | null, b: string | number | null): number {
  if (a === b) return 0;
  if (a === null) return -1;
  if (b === null) return 1;
  return a < b ? -1 : 1;
}

/** `since`/`until` are Unix milliseconds (created_at's unit); the rows' bucket_start is Unix seconds. */
export async function usageReport(store: UsageStore, q: ReportQuery): Promise<ReportRow[]> {
  const scope = scopeSql(q.scope);
  const num = store.num;
  // Integer division: created_at (ms) → seconds → the bucket's first second.
  const bucket = q.bucket ? `(created_at / ${BUCKET_S[q.bucket] * 1000}) * ${BUCKET_S[q.bucket]}` : 'NULL';
  const calls = CALLS_SQL[q.calls] + (q.groupBy === 'mcp_tool' ? ' AND mcp_tool IS NOT NULL' : '');
  // p95 by the nearest-rank method: the value at rank ceil(0.95 n) in each group.
  const values = await store.values(
    `WITH r AS (
       SELECT ${GROUP_COLUMN[q.groupBy]} AS grp, ${bucket} AS bucket_start, status, latency_ms, input_tokens, output_tokens
         FROM usage WHERE created_at >= ? AND created_at < ? AND ${calls} AND ${scope.sql}
     ), ranked AS (
       SELECT r.*, row_number() OVER (PARTITION BY grp, bucket_start ORDER BY latency_ms) AS rn,
              count(*) OVER (PARTITION BY grp, bucket_start) AS n
         FROM r
     )
     SELECT grp, ${num('bucket_start')}, ${num('count(*)')}, ${num('sum(CASE WHEN status >= 400 THEN 1 ELSE 0 END)')},
            ${num('sum(input_tokens)')}, ${num('sum(output_tokens)')}, ${num('sum(latency_ms)')},
            ${num('min(CASE WHEN rn * 100 >= n * 95 THEN latency_ms END)')}
       FROM ranked GROUP BY grp, bucket_start`,
    [q.since, q.until, ...scope.params],
  );
  const rows = values.map(([group, bucket_start, requests, failures, input_tokens, output_tokens, latencySum, p95]) => ({
    group: group as string | number | null, bucket_start: bucket_start as number | null, requests: requests as number, failures: failures as number,
    input_tokens: input_tokens as number, output_tokens: output_tokens as number,
    // Averaged here, as the summary does: the dialects' avg and round differ in the last digit now and then.
    avg_latency_ms: Math.round(((latencySum as number) / (requests as number)) * 10) / 10, p95_latency_ms: p95 as number,
  }));
  // Ordered here, not in SQL: the dialects differ in where nulls go and, on PostgreSQL, in the text collation.
  rows.sort((a, b) => (a.bucket_start ?? 0) - (b.bucket_start ?? 0) || b.requests - a.requests || compareGroups(a.group, b.group));
  const labelSql = LABEL_SQL[q.groupBy];
  const labels = labelSql ? new Map((await store.values(labelSql)).map(([id, label]) => [id as number, label as string])) : undefined;
  return rows.map((r) => ({ ...r, label: labels ? (labels.get(r.group as number) ?? null) : null, calls: q.calls }));
}

/** Deletes usage rows older than the retention period; returns how many. */
export async function pruneUsage(store: UsageStore, retentionMs: number, now = Date.now()): Promise<number> {
  return store.run('DELETE FROM usage WHERE created_at < ?', [now - retentionMs]);
}

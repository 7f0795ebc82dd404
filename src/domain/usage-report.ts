/**
 * Usage reports: counts, failures, tokens, average and p95 latency per group (model, key, user, team,
 * org or the end-user `user_id`), optionally per minute/hour/day bucket, over a time range and within
 * what the caller may see.
 */
import type { Database } from 'bun:sqlite';

export const GROUPS = ['model', 'key', 'user', 'team', 'org', 'user_id', 'mcp_server'] as const;
export type GroupBy = (typeof GROUPS)[number];
export const BUCKETS = ['minute', 'hour', 'day'] as const;
export type Bucket = (typeof BUCKETS)[number];

/** Which rows a caller may see. */
export type UsageScope =
  | { kind: 'all'; orgId?: number }
  | { kind: 'org'; orgId: number }
  | { kind: 'key'; keyId: number }
  /** A user: their personal keys, their teams' service accounts, and calls made for them (user_id = email). */
  | { kind: 'user'; userId: number; teamIds: number[]; email: string };

export interface ReportQuery {
  since: number;
  until: number;
  groupBy: GroupBy;
  bucket?: Bucket;
  scope: UsageScope;
}

export interface ReportRow {
  group: string | number | null;
  label: string | null;
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
};
const BUCKET_MS: Record<Bucket, number> = { minute: 60_000, hour: 3_600_000, day: 86_400_000 };
const LABEL_SQL: Partial<Record<GroupBy, string>> = {
  key: "SELECT id, name || ' (' || preview || ')' AS label FROM api_keys",
  user: 'SELECT id, email AS label FROM users',
  team: 'SELECT id, name AS label FROM teams',
  org: 'SELECT id, name AS label FROM orgs',
};

function scopeSql(scope: UsageScope): { sql: string; params: (number | string)[] } {
  switch (scope.kind) {
    case 'all':
      return scope.orgId === undefined ? { sql: '1', params: [] } : { sql: 'org_id = ?', params: [scope.orgId] };
    case 'org':
      return { sql: 'org_id = ?', params: [scope.orgId] };
    case 'key':
      return { sql: 'key_id = ?', params: [scope.keyId] };
    case 'user': {
      const teams = scope.teamIds.length ? ` OR team_id IN (${scope.teamIds.map(() => '?').join(', ')})` : '';
      return { sql: `((user_id = ? AND team_id IS NULL)${teams} OR end_user_id = ?)`, params: [scope.userId, ...scope.teamIds, scope.email] };
    }
  }
}

export function usageReport(sqlite: Database, q: ReportQuery): ReportRow[] {
  const scope = scopeSql(q.scope);
  const bucket = q.bucket ? `(created_at / ${BUCKET_MS[q.bucket]}) * ${BUCKET_MS[q.bucket]}` : 'NULL';
  // p95 by the nearest-rank method: the value at rank ceil(0.95 n) in each group.
  const rows = sqlite
    .query<Omit<ReportRow, 'label'>, (number | string)[]>(
      `WITH r AS (
         SELECT ${GROUP_COLUMN[q.groupBy]} AS grp, ${bucket} AS bucket_start, status, latency_ms, input_tokens, output_tokens
           FROM usage WHERE created_at >= ? AND created_at < ? AND ${scope.sql}
       ), ranked AS (
         SELECT r.*, row_number() OVER (PARTITION BY grp, bucket_start ORDER BY latency_ms) AS rn,
                count(*) OVER (PARTITION BY grp, bucket_start) AS n
           FROM r
       )
       SELECT grp AS "group", bucket_start, count(*) AS requests, sum(status >= 400) AS failures,
              sum(input_tokens) AS input_tokens, sum(output_tokens) AS output_tokens,
              round(avg(latency_ms), 1) AS avg_latency_ms,
              min(CASE WHEN rn * 100 >= n * 95 THEN latency_ms END) AS p95_latency_ms
         FROM ranked GROUP BY grp, bucket_start ORDER BY bucket_start, requests DESC, grp`,
    )
    .all(q.since, q.until, ...scope.params);
  const labelSql = LABEL_SQL[q.groupBy];
  const labels = labelSql ? new Map(sqlite.query<{ id: number; label: string }, []>(labelSql).all().map((r) => [r.id, r.label])) : undefined;
  return rows.map((r) => ({ ...r, label: labels ? (labels.get(r.group as number) ?? null) : null }));
}

/** Deletes usage rows older than the retention period; returns how many. */
export function pruneUsage(sqlite: Database, retentionMs: number, now = Date.now()): number {
  return sqlite.run('DELETE FROM usage WHERE created_at < ?', [now - retentionMs]).changes;
}

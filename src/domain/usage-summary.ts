/**
 * The usage summary behind the console's dashboard: totals, a time series and top-N breakdowns over a time
 * range, within what the caller may see (UsageScope), read from the usage rollups only (never the raw
 * rows; src/domain/usage-rollups.ts). Two reads per rollup piece whatever the breakdowns: one grouped by
 * time bucket (series, and the totals with their latency histogram), one grouped by every dimension but
 * time (the breakdowns are summed from it here).
 *
 * Averages and counts are exact; p50/p95 come from the histogram (within 19 %: src/domain/latency-histogram.ts).
 * The range is widened to whole minutes (and to whole hours where older than 48 h): `since`/`until` in the
 * result say what was covered.
 */
import type { Database } from 'bun:sqlite';
import { percentile } from './latency-histogram';
import { addRow, avgLatency, callsSql, cover, emptySums, forEachPiece, HIST_SQL, scopeSql, SUMS_SQL, type Sums } from './usage-rollup-query';
import type { Calls, UsageScope } from './usage-report';

/** Spans up to this long get a per-minute series; longer ones per hour. */
export const MINUTE_SERIES_MAX_MS = 6 * 3_600_000;

export const SUMMARY_GROUPS = ['model', 'key', 'user', 'team', 'org', 'user_id', 'mcp_server', 'mcp_tool'] as const;
export type SummaryGroup = (typeof SUMMARY_GROUPS)[number];

export interface SummaryQuery {
  /** Unix milliseconds; until is exclusive. */
  since: number;
  until: number;
  scope: UsageScope;
  /** Model calls (default) or MCP calls. */
  calls?: Calls;
  /** Breakdowns to return; default model, key, user, team, user_id (model calls) or mcp_server, mcp_tool, key, user, team (MCP). */
  groupBy?: SummaryGroup[];
  /** Series bucket; default minute for spans up to 6 h (when the minute rows still cover them), else hour. */
  bucket?: 'minute' | 'hour';
  /** Rows per breakdown (by requests), default 10. */
  top?: number;
  now?: number;
}

export interface Figures {
  requests: number;
  failures: number;
  input_tokens: number;
  output_tokens: number;
  avg_latency_ms: number;
}

export interface Totals extends Figures {
  /** Approximate (histogram); null without calls. */
  p50_latency_ms: number | null;
  p95_latency_ms: number | null;
}

export interface SeriesPoint extends Totals {
  /** The bucket's first second (Unix seconds). */
  bucket_start: number;
}

export interface BreakdownRow extends Figures {
  /** The id (key, user, team, org), the name (model, user_id, MCP server, "server/tool"); null: none (a personal key's team). */
  group: string | number | null;
  /** Key "name (sk-...abcd)", user email, team or org name; null for the others. */
  label: string | null;
}

export interface UsageSummary {
  object: 'usage.summary';
  calls: Calls;
  /** Unix seconds: the range covered (whole minutes or hours, see above). */
  since: number;
  until: number;
  bucket: 'minute' | 'hour';
  totals: Totals;
  /** Buckets with calls only, oldest first. */
  series: SeriesPoint[];
  /** Per requested group: the top rows by requests (ties by group). */
  top: Partial<Record<SummaryGroup, BreakdownRow[]>>;
}

const DIM_COLUMNS = ['key_id', 'user_id', 'team_id', 'org_id', 'model', 'end_user_id', 'mcp_server', 'mcp_tool'];
/** Where each group's value sits in a row of the per-dimension read; undefined: the row has no such group. */
const GROUP_OF: Record<SummaryGroup, (r: unknown[]) => string | number | null | undefined> = {
  key: (r) => r[0] as number,
  user: (r) => r[1] as number,
  team: (r) => ((r[2] as number) === 0 ? null : (r[2] as number)),
  org: (r) => r[3] as number,
  model: (r) => r[4] as string,
  user_id: (r) => r[5] as string,
  mcp_server: (r) => r[6] as string,
  // Tool names are per server; server names cannot contain '/' (src/config/mcp-config.ts). Session starts have no tool.
  mcp_tool: (r) => ((r[7] as string) === '' ? undefined : `${r[6] as string}/${r[7] as string}`),
};
const LABELS: Partial<Record<SummaryGroup, string>> = {
  key: "SELECT id, name || ' (' || preview || ')' AS label FROM api_keys",
  user: 'SELECT id, email AS label FROM users',
  team: 'SELECT id, name AS label FROM teams',
  org: 'SELECT id, name AS label FROM orgs',
};

const figures = (s: Sums): Figures => ({ requests: s.requests, failures: s.failures, input_tokens: s.input_tokens, output_tokens: s.output_tokens, avg_latency_ms: avgLatency(s) });
const totalsOf = (s: Sums): Totals => ({
  ...figures(s),
  p50_latency_ms: percentile(s.hist!, 0.5, s.latency_min, s.latency_max),
  p95_latency_ms: percentile(s.hist!, 0.95, s.latency_min, s.latency_max),
});

export function usageSummary(sqlite: Database, q: SummaryQuery): UsageSummary {
  const now = q.now ?? Date.now();
  const calls = q.calls ?? 'model';
  const groups = q.groupBy ?? (calls === 'model' ? ['model', 'key', 'user', 'team', 'user_id'] : ['mcp_server', 'mcp_tool', 'key', 'user', 'team']);
  const wantMinutes = (q.bucket ?? (q.until - q.since <= MINUTE_SERIES_MAX_MS ? 'minute' : 'hour')) === 'minute';
  const minuteCover = wantMinutes ? cover(q.since, q.until, now, true) : null;
  const bucket = minuteCover ? 'minute' : 'hour';
  const coverage = minuteCover ?? cover(q.since, q.until, now)!;
  const scope = scopeSql(q.scope);
  const filter = { sql: `${callsSql(calls)} AND ${scope.sql}`, params: scope.params };

  const series = new Map<number, Sums>();
  const step = bucket === 'minute' ? 60 : 3_600;
  forEachPiece(
    sqlite, coverage, filter,
    (table) => (table === 'usage_minute' && step === 60 ? { select: `bucket_start, ${SUMS_SQL}, ${HIST_SQL}`, groupBy: 'bucket_start' } : { select: `(bucket_start / ${step}) * ${step} AS b, ${SUMS_SQL}, ${HIST_SQL}`, groupBy: 'b' }),
    (row) => {
      const b = row[0] as number;
      let s = series.get(b);
      if (!s) series.set(b, (s = emptySums(true)));
      addRow(s, row, 1);
    },
  );
  const total = emptySums(true);
  for (const s of series.values()) {
    total.requests += s.requests; total.failures += s.failures; total.input_tokens += s.input_tokens; total.output_tokens += s.output_tokens;
    total.latency_sum += s.latency_sum; total.latency_min = Math.min(total.latency_min, s.latency_min); total.latency_max = Math.max(total.latency_max, s.latency_max);
    s.hist!.forEach((n, i) => (total.hist![i]! += n));
  }

  const by = new Map<SummaryGroup, Map<string | number | null, Sums>>(groups.map((g) => [g, new Map()]));
  forEachPiece(sqlite, coverage, filter, () => ({ select: `${DIM_COLUMNS.join(', ')}, ${SUMS_SQL}`, groupBy: DIM_COLUMNS.join(', ') }), (row) => {
    for (const [g, m] of by) {
      const value = GROUP_OF[g](row);
      if (value === undefined) continue;
      let s = m.get(value);
      if (!s) m.set(value, (s = emptySums(false)));
      addRow(s, row, DIM_COLUMNS.length);
    }
  });

  const top: Partial<Record<SummaryGroup, BreakdownRow[]>> = {};
  for (const [g, m] of by) {
    const rows = [...m.entries()]
      .sort((a, b) => b[1].requests - a[1].requests || String(a[0]).localeCompare(String(b[0])))
      .slice(0, q.top ?? 10);
    const labels = labelsOf(sqlite, g, rows.map(([v]) => v));
    top[g] = rows.map(([value, s]) => ({ group: value, label: labels?.get(value as number) ?? null, ...figures(s) }));
  }

  return {
    object: 'usage.summary',
    calls,
    since: coverage.since,
    until: coverage.until,
    bucket,
    totals: totalsOf(total),
    series: [...series.entries()].sort((a, b) => a[0] - b[0]).map(([b, s]) => ({ bucket_start: b, ...totalsOf(s) })),
    top,
  };
}

/** Labels of the ids shown (only those: a table of every key would cost more than the summary). */
function labelsOf(sqlite: Database, g: SummaryGroup, values: (string | number | null)[]): Map<number, string> | undefined {
  const sql = LABELS[g];
  const ids = values.filter((v): v is number => typeof v === 'number');
  if (!sql || ids.length === 0) return undefined;
  const rows = sqlite.query<{ id: number; label: string }, number[]>(`SELECT * FROM (${sql}) WHERE id IN (${ids.map(() => '?').join(', ')})`).all(...ids);
  return new Map(rows.map((r) => [r.id, r.label]));
}

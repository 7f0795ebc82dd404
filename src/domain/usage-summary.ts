/**
 * The usage summary behind the console's dashboards: totals, a time series and top-N breakdowns over a time
 * range, within what the caller may see (UsageScope), read from the usage rollups only (never the raw
 * rows; src/domain/usage-rollups.ts).
 *
 * Which rollups: when the range is hourly or coarser, the gateway-wide series and breakdowns by model or
 * MCP server/tool come from the gateway family, org-wide ones and breakdowns by org from the org family (few
 * rows however many keys and orgs there are); breakdowns by key, person and team from the key family; by
 * end-user `user_id` from the end-user family; narrow scopes (a team, a person, a key) and minute series
 * from the key family. Every read covers the same range.
 *
 * Averages and counts are exact; p50/p95 come from the histogram (within 19 %: src/domain/latency-histogram.ts).
 * `since`/`until` in the result say what was covered (see usage-rollup-query.ts for the rounding).
 */
import type { UsageStore } from '../db/usage-store';
import { percentile } from './latency-histogram';
import { addRow, addSums, avgLatency, callsSql, cover, emptySums, forEachPiece, histSql, rollupScopeSql, sumsSql, type Coverage, type Sums } from './usage-rollup-query';
import { BUCKET_S as BUCKET_SECONDS, type Bucket, type Calls, type GroupBy as SummaryGroup, LABEL_SQL, type UsageScope } from './usage-report';
import { DAY, FAMILIES, type Family, HOUR } from './usage-rollups';

/** The same groups (and buckets) as the usage report's. */
export { GROUPS as SUMMARY_GROUPS, type GroupBy as SummaryGroup } from './usage-report';

/** The series bucket of a span when none is asked for: per minute up to 6 h, per hour up to 8 days, else per day. */
export function defaultBucket(spanMs: number): Bucket {
  return spanMs <= 6 * HOUR * 1000 ? 'minute' : spanMs <= 8 * DAY * 1000 ? 'hour' : 'day';
}

/**
 * The breakdowns a dashboard shows for a scope. Gateway-wide: by model and org only (a row per key of the
 * whole gateway is what the gateway and org families exist to avoid reading; an admin opens an org for those).
 */
export function dashboardGroups(scope: UsageScope, calls: Calls): SummaryGroup[] {
  const what: SummaryGroup[] = calls === 'model' ? ['model'] : ['mcp_server', 'mcp_tool'];
  switch (scope.kind) {
    case 'all':
      return scope.orgId === undefined ? [...what, 'org'] : [...what, 'team', 'user', 'key', 'user_id'];
    case 'org':
      return [...what, 'team', 'user', 'key', 'user_id'];
    case 'team':
      return [...what, 'key', 'user_id'];
    case 'user':
      return [...what, 'key', 'user_id'];
    case 'key':
      return [...what, 'user_id'];
  }
}

/**
 * The console dashboard's query for a scope and span ending now: the series, its breakdowns
 * (dashboardGroups) and a series per model or MCP server. One definition for the page and its benchmark.
 */
export function dashboardQuery(scope: UsageScope, calls: Calls, spanMs: number, now: number, opts: { groupBy?: SummaryGroup[]; top?: number } = {}): SummaryQuery {
  return {
    since: now - spanMs, until: now + 1, now, scope, calls,
    groupBy: opts.groupBy ?? dashboardGroups(scope, calls), top: opts.top,
    seriesBy: calls === 'model' ? 'model' : 'mcp_server',
  };
}

export interface SummaryQuery {
  /** Unix milliseconds; until is exclusive. */
  since: number;
  until: number;
  scope: UsageScope;
  /** Model calls (default) or MCP calls. */
  calls?: Calls;
  /** Breakdowns to return (default: none). */
  groupBy?: SummaryGroup[];
  /** Series bucket; default by span (defaultBucket). Minute falls back to hour where the minute rows are gone. */
  bucket?: Bucket;
  /** Also a series per model (or MCP server), for the `seriesTop` busiest ones. */
  seriesBy?: 'model' | 'mcp_server';
  seriesTop?: number;
  /** Rows per breakdown (by requests), default 10; 0 for all. */
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
  /** Unix seconds: the range covered. */
  since: number;
  until: number;
  bucket: Bucket;
  totals: Totals;
  /** Buckets with calls only, oldest first. */
  series: SeriesPoint[];
  /** Per requested group: the top rows by requests (ties by group). */
  top: Partial<Record<SummaryGroup, BreakdownRow[]>>;
  /** With seriesBy: the busiest groups' own series, busiest first. */
  seriesOf?: { group: string; series: SeriesPoint[] }[];
}

/** Where each group's value comes from: a rollup family, the column(s) it reads, and how a row gives the value. */
interface GroupSource {
  family: Family;
  select: string;
  /** undefined: the row has no such group (an MCP session start has no tool). */
  value: (v: unknown) => string | number | null | undefined;
}

/** The groups each coarse family has. */
const HAS: Partial<Record<Family['name'], Partial<Record<SummaryGroup, true>>>> = {
  gateway: { model: true, mcp_server: true, mcp_tool: true },
  org: { model: true, org: true, mcp_server: true, mcp_tool: true },
};

/** The coarse families a broad scope can read (hourly and up), broadest first: the gateway's, then per org. */
function wideFamilies(scope: UsageScope): Family[] {
  if (scope.kind === 'all' && scope.orgId === undefined) return [FAMILIES.gateway, FAMILIES.org];
  if (scope.kind === 'all' || scope.kind === 'org') return [FAMILIES.org];
  return [];
}

function sourceOf(g: SummaryGroup, family: Family): GroupSource {
  switch (g) {
    case 'key': return { family, select: 'key_id', value: (v) => v as number };
    // A person's own calls: a service account's calls count for its team, not for whoever created it.
    case 'user': return { family, select: 'CASE WHEN team_id = 0 THEN user_id END', value: (v) => (v === null ? undefined : (v as number)) };
    case 'team': return { family, select: 'team_id', value: (v) => ((v as number) === 0 ? null : (v as number)) };
    case 'org': return { family, select: 'org_id', value: (v) => v as number };
    case 'model': return { family, select: 'model', value: (v) => v as string };
    case 'user_id': return { family: FAMILIES.end_user, select: 'end_user_id', value: (v) => v as string };
    case 'mcp_server': return { family, select: 'mcp_server', value: (v) => v as string };
    // Tool names are per server; server names cannot contain '/' (src/config/mcp-config.ts). Session starts have no tool.
    case 'mcp_tool': return { family, select: "CASE WHEN mcp_tool = '' THEN NULL ELSE mcp_server || '/' || mcp_tool END", value: (v) => (v === null ? undefined : (v as string)) };
  }
}


const figures = (s: Sums): Figures => ({ requests: s.requests, failures: s.failures, input_tokens: s.input_tokens, output_tokens: s.output_tokens, avg_latency_ms: avgLatency(s) });
const totalsOf = (s: Sums): Totals => ({
  ...figures(s),
  p50_latency_ms: percentile(s.hist!, 0.5, s.latency_min, s.latency_max),
  p95_latency_ms: percentile(s.hist!, 0.95, s.latency_min, s.latency_max),
});

export async function usageSummary(store: UsageStore, q: SummaryQuery): Promise<UsageSummary> {
  const now = q.now ?? Date.now();
  const calls = q.calls ?? 'model';
  let bucket = q.bucket ?? defaultBucket(q.until - q.since);
  // The series family: the broadest rollups that have the scope's dimensions and the resolution (hours and up).
  const seriesFamily = () => (bucket === 'minute' ? FAMILIES.key : wideFamilies(q.scope)[0] ?? FAMILIES.key);
  let coverage = cover(seriesFamily(), q.since, q.until, now, BUCKET_SECONDS[bucket]);
  if (!coverage) {
    bucket = 'hour'; // minute rows are kept 48 h
    coverage = cover(seriesFamily(), q.since, q.until, now, HOUR)!;
  }
  const scope = rollupScopeSql(q.scope);
  const filter = { sql: `${callsSql(calls)} AND ${scope.sql}`, params: scope.params };

  const step = BUCKET_SECONDS[bucket];
  const by = q.seriesBy;
  // One read per piece, per bucket (and per model or server when a series of each is wanted).
  const perGroup = new Map<string, Map<number, Sums>>();
  const num = store.num;
  await forEachPiece(
    store, coverage, filter,
    // Grouped by the integer bucket itself; num() only changes how it reads back (a float on PostgreSQL).
    () => ({ select: `${num(`(bucket_start / ${step}) * ${step}`)}, ${by ?? "''"}, ${sumsSql(num)}, ${histSql(num)}`, groupBy: by ? `(bucket_start / ${step}) * ${step}, ${by}` : `(bucket_start / ${step}) * ${step}` }),
    (row) => {
      const g = row[1] as string;
      let m = perGroup.get(g);
      if (!m) perGroup.set(g, (m = new Map()));
      const b = row[0] as number;
      let s = m.get(b);
      if (!s) m.set(b, (s = emptySums(true)));
      addRow(s, row, 2);
    },
  );
  const series = new Map<number, Sums>();
  for (const m of perGroup.values()) {
    for (const [b, s] of m) {
      let into = series.get(b);
      if (!into) series.set(b, (into = emptySums(true)));
      addSums(into, s);
    }
  }
  const total = emptySums(true);
  for (const s of series.values()) addSums(total, s);
  const points = (m: Map<number, Sums>): SeriesPoint[] => [...m.entries()].sort((a, b) => a[0] - b[0]).map(([b, s]) => ({ bucket_start: b, ...totalsOf(s) }));
  const requestsOf = (m: Map<number, Sums>) => [...m.values()].reduce((a, s) => a + s.requests, 0);

  const top: Partial<Record<SummaryGroup, BreakdownRow[]>> = {};
  for (const [g, sums] of await breakdowns(store, q.groupBy ?? [], coverage, { now, scope: q.scope, filter })) {
    let rows = [...sums.entries()].sort((a, b) => b[1].requests - a[1].requests || String(a[0]).localeCompare(String(b[0])));
    if ((q.top ?? 10) > 0) rows = rows.slice(0, q.top ?? 10);
    const labels = await labelsOf(store, g, rows.map(([v]) => v));
    top[g] = rows.map(([value, s]) => ({ group: value, label: labels?.get(value as number) ?? null, ...figures(s) }));
  }

  return {
    object: 'usage.summary',
    calls,
    since: coverage.since,
    until: coverage.until,
    bucket,
    totals: totalsOf(total),
    series: points(series),
    top,
    ...(by
      ? {
          seriesOf: [...perGroup.entries()]
            .map(([group, m]) => ({ group, m, n: requestsOf(m) }))
            .sort((a, b) => b.n - a.n || a.group.localeCompare(b.group))
            .slice(0, q.seriesTop ?? 5)
            .map(({ group, m }) => ({ group, series: points(m) })),
        }
      : {}),
  };
}

/**
 * The breakdowns, one read per family and piece: grouped by every column the requested groups of that family
 * need, then summed per group here. They cover the series' range (coverage.since/until, whole minutes or hours).
 */
async function breakdowns(
  store: UsageStore,
  groups: SummaryGroup[],
  coverage: Coverage,
  ctx: { now: number; scope: UsageScope; filter: { sql: string; params: (number | string)[] } },
): Promise<Map<SummaryGroup, Map<string | number | null, Sums>>> {
  const out = new Map<SummaryGroup, Map<string | number | null, Sums>>(groups.map((g) => [g, new Map()]));
  const coarse = coverage.since % HOUR === 0 && coverage.until % HOUR === 0;
  const byFamily = new Map<Family, { g: SummaryGroup; src: GroupSource }[]>();
  for (const g of groups) {
    const family = (coarse ? wideFamilies(ctx.scope).find((f) => HAS[f.name]?.[g]) : undefined) ?? FAMILIES.key;
    const src = sourceOf(g, family);
    byFamily.set(src.family, [...(byFamily.get(src.family) ?? []), { g, src }]);
  }
  for (const [family, wanted] of byFamily) {
    const range = cover(family, coverage.since * 1000, coverage.until * 1000, ctx.now)!;
    const cols = wanted.map((w) => w.src.select);
    const colList = cols.map((c, i) => `${c} AS g${i}`).join(', ');
    const groupBy = cols.map((_, i) => `g${i}`).join(', ');
    await forEachPiece(store, range, ctx.filter, () => ({ select: `${colList}, ${sumsSql(store.num)}`, groupBy }), (row) => {
      wanted.forEach(({ g, src }, i) => {
        const value = src.value(row[i]);
        if (value === undefined) return;
        const m = out.get(g)!;
        let s = m.get(value);
        if (!s) m.set(value, (s = emptySums(false)));
        addRow(s, row, cols.length);
      });
    });
  }
  return out;
}

/** Labels of the ids shown (only those: a table of every key would cost more than the summary). */
async function labelsOf(store: UsageStore, g: SummaryGroup, values: (string | number | null)[]): Promise<Map<number, string> | undefined> {
  const sql = LABEL_SQL[g];
  const ids = values.filter((v): v is number => typeof v === 'number');
  if (!sql || ids.length === 0) return undefined;
  const rows = await store.values(`SELECT id, label FROM (${sql}) AS l WHERE id IN (${ids.map(() => '?').join(', ')})`, ids);
  return new Map(rows.map(([id, label]) => [id as number, label as string]));
}

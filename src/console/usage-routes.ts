/**
 * /ui/usage: the usage dashboard for one view (mine, a team, an org, the whole gateway), and
 * /ui/usage.csv: the same numbers as CSV. Views follow the /admin reach rules (console/usage-view.ts);
 * numbers come from the rollups only (domain/usage-summary.ts), never a scan of the usage rows.
 */
import { Elysia } from 'elysia';
import type { Reach } from '../domain/reach';
import { Refusal } from '../domain/refusal';
import type { Calls } from '../domain/usage-report';
import { dashboardQuery, SUMMARY_GROUPS, type SummaryGroup } from '../domain/usage-summary';
import { toCsv } from './csv';
import { signedInPage, type ConsoleContext } from './guard';
import { rowName, usagePage } from './pages/usage';
import { page } from './respond';
import { isRange, RANGES, resolveView, viewChoices, type Range } from './usage-view';

const callsOf = (raw: string | null): Calls => (raw === 'mcp' ? 'mcp' : 'model');

export const usageRoutes = (ctx: ConsoleContext) => {
  const { deps } = ctx;
  const read = async (reach: Reach, url: URL, opts: { top?: number; groups?: SummaryGroup[] } = {}) => {
    const range: Range = isRange(url.searchParams.get('range')) ? (url.searchParams.get('range') as Range) : '24h';
    const calls = callsOf(url.searchParams.get('calls'));
    const view = await resolveView(url.searchParams.get('view'), reach, deps.directory, calls);
    const summary = await deps.usageReads.summary(dashboardQuery(view.scope, calls, RANGES[range], Date.now(), { groupBy: opts.groups, top: opts.top }));
    return { range, calls, view, summary };
  };
  return new Elysia()
    .get(
      '/ui/usage',
      signedInPage(ctx, async ({ who, reach }, url) => {
        const { range, calls, view, summary } = await read(reach, url);
        return page(usagePage({ who, view, choices: await viewChoices(reach, deps.directory), range, calls, summary }));
      }),
    )
    .get(
      '/ui/usage.csv',
      signedInPage(ctx, async ({ reach }, url) => {
        const table = url.searchParams.get('table') ?? 'series';
        const group = (SUMMARY_GROUPS as readonly string[]).includes(table) ? (table as SummaryGroup) : undefined;
        if (table !== 'series' && group === undefined) throw new Refusal('not_found', 'No such table.');
        const { range, view, summary } = await read(reach, url, { top: 0, groups: group ? [group] : [] });
        if (group && !view.groups.includes(group)) throw new Refusal('not_found', 'No such table.');
        const iso = (s: number) => new Date(s * 1000).toISOString();
        const csv = group
          ? toCsv(
              [group, 'name', 'requests', 'failures', 'input_tokens', 'output_tokens', 'avg_latency_ms'],
              summary.top[group]!.map((r) => [r.group, rowName(group, r), r.requests, r.failures, r.input_tokens, r.output_tokens, r.avg_latency_ms]),
            )
          : toCsv(
              ['bucket_start_utc', 'requests', 'failures', 'input_tokens', 'output_tokens', 'avg_latency_ms', 'p50_latency_ms', 'p95_latency_ms'],
              summary.series.map((p) => [iso(p.bucket_start), p.requests, p.failures, p.input_tokens, p.output_tokens, p.avg_latency_ms, p.p50_latency_ms, p.p95_latency_ms]),
            );
        const name = `aqueduct-usage-${view.value}-${range}-${table}.csv`;
        return new Response(csv, {
          headers: {
            'content-type': 'text/csv; charset=utf-8',
            'content-disposition': `attachment; filename="${name}"`,
            'cache-control': 'no-store',
            'x-content-type-options': 'nosniff',
          },
        });
      }),
    );
};

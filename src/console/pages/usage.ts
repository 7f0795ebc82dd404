/**
 * "Usage": totals, charts and breakdowns for one view (mine, a team, an org, the gateway) over 1 h to 30 d,
 * read from the usage rollups (domain/usage-summary.ts). Every table has a CSV download with the same rows.
 */
import { BUCKET_S as BUCKET_SECONDS, type Calls } from '../../domain/usage-report';
import type { BreakdownRow, SummaryGroup, UsageSummary } from '../../domain/usage-summary';
import { chart, shortNumber } from '../chart';
import { html, type Html } from '../html';
import { layout } from '../layout';
import type { SignedIn } from '../session';
import { RANGES, type Range, type UsageView, type ViewChoice } from '../usage-view';

export interface UsagePageView {
  who: SignedIn;
  view: UsageView;
  choices: ViewChoice[];
  range: Range;
  calls: Calls;
  summary: UsageSummary;
}

export const GROUP_TITLES: Record<SummaryGroup, string> = {
  model: 'By model',
  key: 'By key',
  user: 'By person (personal keys)',
  team: 'By team',
  org: 'By org',
  user_id: 'By end user (the user_id sent with calls)',
  mcp_server: 'By MCP server',
  mcp_tool: 'By MCP tool',
};

const utc = (seconds: number) => `${new Date(seconds * 1000).toISOString().slice(0, 16).replace('T', ' ')}`;
const thousands = (n: number) => n.toLocaleString('en-US');
const ms = (n: number | null) => (n === null ? '—' : `${thousands(n)} ms`);

/** The query string of this page with some values changed. */
function link(v: UsagePageView, change: Partial<{ view: string; range: string; calls: string }>, path = '/ui/usage'): string {
  const q = new URLSearchParams({ view: v.view.value, range: v.range, calls: v.calls, ...change });
  return `${path}?${q}`;
}

/** What a breakdown row is called on the page: a label (key, person, team, org) or the value itself. */
export function rowName(g: SummaryGroup, r: BreakdownRow): string {
  if (r.label !== null) return r.label;
  if (g === 'team' && r.group === null) return 'Personal keys (no team)';
  if (r.group === null || r.group === '') return '(none)';
  return typeof r.group === 'number' ? `#${r.group} (deleted)` : r.group;
}

function picker(v: UsagePageView): Html {
  return html`<form method="get" action="/ui/usage" class="row usage-picker">
  <div>
    <label for="usage-view">Whose usage</label>
    <select id="usage-view" name="view">${v.choices.map((c) => html`<option value="${c.value}"${c.value === v.view.value ? html` selected` : html``}>${c.label}</option>`)}${
      v.choices.some((c) => c.value === v.view.value) ? html`` : html`<option value="${v.view.value}" selected>${v.view.label}</option>`
    }</select>
  </div>
  <div>
    <label for="usage-calls">Calls</label>
    <select id="usage-calls" name="calls">
      <option value="model"${v.calls === 'model' ? html` selected` : html``}>Model calls</option>
      <option value="mcp"${v.calls === 'mcp' ? html` selected` : html``}>MCP calls</option>
    </select>
  </div>
  <input type="hidden" name="range" value="${v.range}">
  <button type="submit" class="secondary">Show</button>
</form>
<nav class="ranges" aria-label="Time range">${(Object.keys(RANGES) as Range[]).map(
    (r) => html`<a href="${link(v, { range: r })}"${r === v.range ? html` aria-current="page"` : html``}>Last ${r}</a>`,
  )}</nav>`;
}

function cards(v: UsagePageView): Html {
  const t = v.summary.totals;
  const step = BUCKET_SECONDS[v.summary.bucket];
  const peakRps = Math.max(0, ...v.summary.series.map((p) => p.requests / step));
  const peakTpm = Math.max(0, ...v.summary.series.map((p) => ((p.input_tokens + p.output_tokens) * 60) / step));
  const failed = t.requests ? ` (${((t.failures / t.requests) * 100).toFixed(1)} %)` : '';
  return html`<dl class="cards">
  <div><dt>Requests</dt><dd>${thousands(t.requests)}</dd></div>
  <div><dt>Failures</dt><dd>${thousands(t.failures)}${failed}</dd></div>
  <div><dt>Input tokens</dt><dd>${thousands(t.input_tokens)}</dd></div>
  <div><dt>Output tokens</dt><dd>${thousands(t.output_tokens)}</dd></div>
  <div><dt>Latency p50</dt><dd>${ms(t.p50_latency_ms)}</dd></div>
  <div><dt>Latency p95</dt><dd>${ms(t.p95_latency_ms)}</dd></div>
  <div><dt>Peak requests/s</dt><dd>${shortNumber(peakRps)}</dd></div>
  <div><dt>Peak tokens/min</dt><dd>${shortNumber(peakTpm)}</dd></div>
</dl>`;
}

function charts(v: UsagePageView): Html {
  const s = v.summary;
  const step = BUCKET_SECONDS[s.bucket];
  const of = (f: (p: UsageSummary['series'][number]) => number) => new Map(s.series.map((p) => [p.bucket_start, f(p)]));
  const base = { since: s.since, until: s.until, step };
  const per = `per ${s.bucket}`;
  // The whole gateway is an operations view: rates (requests/s and tokens/min, averaged over each bucket).
  // Elsewhere counts per bucket read better (a person's 12 calls a day are not 0.0001 requests/s).
  const rates = v.view.scope.kind === 'all' && v.view.scope.orgId === undefined;
  const perSecond = rates ? 1 / step : 1;
  const perMinute = rates ? 60 / step : 1;
  const requests = chart({
    ...base, kind: 'bars', unit: rates ? 'requests/s' : 'requests', title: rates ? `Requests/s (average ${per})` : `Requests ${per}`,
    series: [{ name: 'Succeeded', values: of((p) => (p.requests - p.failures) * perSecond) }, { name: 'Failed', values: of((p) => p.failures * perSecond) }],
  });
  const tokens = v.calls === 'model'
    ? chart({
        ...base, kind: 'bars', unit: rates ? 'tokens/min' : 'tokens', title: rates ? `Tokens/min (average ${per})` : `Tokens ${per}`,
        series: [{ name: 'Input', values: of((p) => p.input_tokens * perMinute) }, { name: 'Output', values: of((p) => p.output_tokens * perMinute) }],
      })
    : html``;
  const latency = chart({
    ...base, kind: 'lines', unit: 'ms', title: `Latency p95 ${per}, by ${v.calls === 'model' ? 'model' : 'MCP server'} (ms)`,
    series: (s.seriesOf ?? []).map((g) => ({ name: g.group, values: new Map(g.series.flatMap((p) => (p.p95_latency_ms === null ? [] : [[p.bucket_start, p.p95_latency_ms] as [number, number]]))) })),
  });
  return html`<div class="charts">${requests}${tokens}${latency}</div>`;
}

function seriesTable(v: UsagePageView): Html {
  const rows = v.summary.series;
  return html`<details class="numbers">
  <summary>The numbers, ${v.summary.bucket} by ${v.summary.bucket} (${rows.length} with calls)</summary>
  <a class="csv" href="${link(v, {}, '/ui/usage.csv')}&amp;table=series" download>Download CSV</a>
  <div class="scroll"><table>
    <thead><tr><th scope="col">From (UTC)</th><th scope="col">Requests</th><th scope="col">Failures</th><th scope="col">Input tokens</th><th scope="col">Output tokens</th><th scope="col">p50</th><th scope="col">p95</th></tr></thead>
    <tbody>${rows.map((p) => html`<tr><td>${utc(p.bucket_start)}</td><td>${thousands(p.requests)}</td><td>${thousands(p.failures)}</td><td>${thousands(p.input_tokens)}</td><td>${thousands(p.output_tokens)}</td><td>${ms(p.p50_latency_ms)}</td><td>${ms(p.p95_latency_ms)}</td></tr>`)}</tbody>
  </table></div>
</details>`;
}

function breakdown(v: UsagePageView, g: SummaryGroup, rows: BreakdownRow[]): Html {
  const body = rows.length === 0
    ? html`<p class="muted">No calls in this range.</p>`
    : html`<div class="scroll"><table>
    <thead><tr><th scope="col">${GROUP_TITLES[g].replace(/^By /, '').replace(/ \(.*\)$/, '')}</th><th scope="col">Requests</th><th scope="col">Failures</th><th scope="col">Input tokens</th><th scope="col">Output tokens</th><th scope="col">Avg latency</th></tr></thead>
    <tbody>${rows.map((r) => html`<tr><th scope="row">${rowName(g, r)}</th><td>${thousands(r.requests)}</td><td>${thousands(r.failures)}</td><td>${thousands(r.input_tokens)}</td><td>${thousands(r.output_tokens)}</td><td>${thousands(r.avg_latency_ms)} ms</td></tr>`)}</tbody>
  </table></div>`;
  return html`<section class="breakdown" aria-labelledby="by-${g}">
  <h2 id="by-${g}">${GROUP_TITLES[g]}</h2>
  ${rows.length ? html`<a class="csv" href="${link(v, {}, '/ui/usage.csv')}&amp;table=${g}" download>Download CSV (all rows)</a>` : html``}
  ${body}
</section>`;
}

export function usagePage(v: UsagePageView): Html {
  const s = v.summary;
  const body = html`<h1>Usage · ${v.view.label}</h1>
${picker(v)}
<p class="muted">${v.calls === 'model' ? 'Model calls' : 'MCP calls'} from ${utc(s.since)} to ${utc(s.until)} UTC, ${s.bucket} by ${s.bucket}. Latency percentiles are within 19 %; everything else is exact.</p>
${cards(v)}
${s.totals.requests === 0 ? html`<p class="empty">No ${v.calls === 'model' ? 'model' : 'MCP'} calls in this range.</p>` : html`${charts(v)}${seriesTable(v)}`}
<div class="breakdowns">${Object.entries(s.top).map(([g, rows]) => breakdown(v, g as SummaryGroup, rows))}</div>`;
  return layout({ title: `Usage · ${v.view.label}`, who: v.who, section: 'usage', body });
}

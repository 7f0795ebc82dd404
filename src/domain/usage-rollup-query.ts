/**
 * Reading the usage rollups: which rollup rows cover a time range, and the scope and call-kind filters in
 * their terms. Shared by the usage summary (the console) and the usage report (/admin/usage, `aqueduct usage`).
 *
 * Resolution: rollups count whole minutes. A range is widened to whole minutes (since rounded down, until
 * up: "until now" includes the current minute so far), and where its edges are older than the minute rows
 * (48 h) to whole hours. The range actually covered is returned, so a caller can show it.
 */
import type { Database } from 'bun:sqlite';
import { HIST_BUCKETS, HIST_COLUMNS } from './latency-histogram';
import { MINUTE_RETENTION_MS, type RollupTable } from './usage-rollups';
import type { Calls, UsageScope } from './usage-report';

const MIN = 60;
const HOUR = 3_600;

/** A part of a range read from one rollup: [from, to) in Unix seconds. */
export interface Piece {
  table: RollupTable;
  from: number;
  to: number;
}

export interface Coverage {
  /** Unix seconds, the range the pieces cover. */
  since: number;
  until: number;
  pieces: Piece[];
}

const floorTo = (s: number, step: number) => Math.floor(s / step) * step;
const ceilTo = (s: number, step: number) => Math.ceil(s / step) * step;

/** `minuteOnly`: read minute rows only (minute buckets); null when they no longer cover the range. */
export function cover(sinceMs: number, untilMs: number, now: number, minuteOnly = false): Coverage | null {
  const minuteFloor = ceilTo((now - MINUTE_RETENTION_MS) / 1000, MIN);
  let since = floorTo(sinceMs / 1000, MIN);
  const until = Math.max(since, ceilTo(untilMs / 1000, MIN));
  if (minuteOnly) return since >= minuteFloor ? { since, until, pieces: [{ table: 'usage_minute', from: since, to: until }] } : null;
  if (since < minuteFloor) since = floorTo(since, HOUR); // the minute rows are gone: whole hours
  let end = until;
  if (until < minuteFloor) end = ceilTo(until, HOUR);
  const hs = ceilTo(since, HOUR);
  const he = floorTo(end, HOUR);
  if (hs >= he) return { since, until: end, pieces: since < end ? [{ table: 'usage_minute', from: since, to: end }] : [] };
  const pieces: Piece[] = [{ table: 'usage_hour', from: hs, to: he }];
  if (since < hs) pieces.push({ table: 'usage_minute', from: since, to: hs });
  if (he < end) pieces.push({ table: 'usage_minute', from: he, to: end });
  return { since, until: end, pieces };
}

/** Rollup rows of one kind of call. mcp_tool reports count tools/call rows only. */
export function callsSql(calls: Calls): string {
  return calls === 'model' ? "mcp_server = ''" : "mcp_server <> ''";
}

/** The scope in rollup terms (team_id 0 is a personal key); see UsageScope. */
export function scopeSql(scope: UsageScope): { sql: string; params: number[] } {
  switch (scope.kind) {
    case 'all':
      return scope.orgId === undefined ? { sql: '1', params: [] } : { sql: 'org_id = ?', params: [scope.orgId] };
    case 'org':
      return { sql: 'org_id = ?', params: [scope.orgId] };
    case 'key':
      return { sql: 'key_id = ?', params: [scope.keyId] };
    case 'user': {
      const teams = scope.teamIds.length ? ` OR team_id IN (${scope.teamIds.map(() => '?').join(', ')})` : '';
      return { sql: `((user_id = ? AND team_id = 0)${teams})`, params: [scope.userId, ...scope.teamIds] };
    }
  }
}

/** The aggregate columns every rollup read selects, in the order of `Sums`. */
export const SUMS_SQL = [
  'sum(requests)', 'sum(failures)', 'sum(input_tokens)', 'sum(output_tokens)', 'sum(latency_sum)', 'min(latency_min)', 'max(latency_max)',
].join(', ');
export const HIST_SQL = HIST_COLUMNS.map((c) => `sum(${c})`).join(', ');

/** Summed counters of some rollup rows; `hist` only when asked for. */
export interface Sums {
  requests: number;
  failures: number;
  input_tokens: number;
  output_tokens: number;
  latency_sum: number;
  latency_min: number;
  latency_max: number;
  hist?: number[];
}

export function emptySums(withHist: boolean): Sums {
  return { requests: 0, failures: 0, input_tokens: 0, output_tokens: 0, latency_sum: 0, latency_min: Infinity, latency_max: -Infinity, ...(withHist ? { hist: new Array<number>(HIST_BUCKETS).fill(0) } : {}) };
}

/** Adds a row read as [..., requests, failures, in, out, latency sum, min, max, h0..h39?] starting at `at`. */
export function addRow(into: Sums, row: unknown[], at: number): void {
  into.requests += row[at] as number;
  into.failures += row[at + 1] as number;
  into.input_tokens += row[at + 2] as number;
  into.output_tokens += row[at + 3] as number;
  into.latency_sum += row[at + 4] as number;
  into.latency_min = Math.min(into.latency_min, row[at + 5] as number);
  into.latency_max = Math.max(into.latency_max, row[at + 6] as number);
  if (into.hist) for (let i = 0; i < HIST_BUCKETS; i++) into.hist[i]! += row[at + 7 + i] as number;
}

/**
 * Runs `select … FROM <table> WHERE <piece range> AND <filter> GROUP BY …` for every piece and hands each
 * result row (as an array) to `each`.
 */
export function forEachPiece(
  sqlite: Database,
  coverage: Coverage,
  filter: { sql: string; params: (number | string)[] },
  build: (table: RollupTable) => { select: string; groupBy?: string },
  each: (row: unknown[]) => void,
): void {
  for (const p of coverage.pieces) {
    const { select, groupBy } = build(p.table);
    const sql = `SELECT ${select} FROM ${p.table} WHERE bucket_start >= ? AND bucket_start < ? AND ${filter.sql}${groupBy ? ` GROUP BY ${groupBy}` : ''}`;
    for (const row of sqlite.query<unknown[], (number | string)[]>(sql).values(p.from, p.to, ...filter.params)) each(row);
  }
}

/** avg latency (1 decimal) of summed rows. */
export const avgLatency = (s: Sums) => (s.requests ? Math.round((s.latency_sum / s.requests) * 10) / 10 : 0);

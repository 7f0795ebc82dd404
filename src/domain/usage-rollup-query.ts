/**
 * Reading the usage rollups: which rollup rows of a family cover a time range, and the scope and call-kind
 * filters in their terms.
 *
 * A range is cut into as few rows as possible: whole days from the day table, the hours at its edges from
 * the hour table, the minutes at those edges from the minute table (like a segment tree). Resolution: a
 * range is widened to whole minutes (since rounded down, until up: "until now" includes the current minute
 * so far), and to whole hours where an edge is older than the minute rows (48 h) or the family has none.
 * The range actually covered is returned, so a caller can show it.
 */
import type { UsageStore } from '../db/usage-store';
import { HIST_BUCKETS, HIST_COLUMNS } from './latency-histogram';
import { type Calls, scopeSql, type UsageScope } from './usage-report';
import { type Family, MINUTE, MINUTE_RETENTION_MS, type RollupLevel } from './usage-rollups';

/** A part of a range read from one rollup table: [from, to) in Unix seconds. */
export interface Piece {
  table: string;
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

/** Coarsest level first: the interior from it, the edges from the finer ones. from/to are aligned to the finest. */
function split(from: number, to: number, coarseFirst: RollupLevel[]): Piece[] {
  if (from >= to) return [];
  const [level, ...finer] = coarseFirst;
  if (!level) return [];
  if (finer.length === 0) return [{ table: level.table, from, to }];
  const a = ceilTo(from, level.seconds);
  const b = floorTo(to, level.seconds);
  if (a >= b) return split(from, to, finer);
  return [{ table: level.table, from: a, to: b }, ...split(from, a, finer), ...split(b, to, finer)];
}

/**
 * The pieces of `family` that cover [sinceMs, untilMs), using levels no coarser than `maxSeconds` (a series
 * of hourly points cannot read day rows). Null when no level can serve the range (minute rows only, and
 * they are gone).
 */
export function cover(family: Family, sinceMs: number, untilMs: number, now: number, maxSeconds = Infinity): Coverage | null {
  const minuteFloor = ceilTo((now - MINUTE_RETENTION_MS) / 1000, MINUTE);
  const levels = family.levels.filter((l) => l.seconds <= maxSeconds);
  const finestAt = (t: number) => levels.find((l) => l.seconds !== MINUTE || t >= minuteFloor);
  const sinceLevel = finestAt(sinceMs / 1000);
  const untilLevel = finestAt(untilMs / 1000);
  if (!sinceLevel || !untilLevel) return null;
  const since = floorTo(sinceMs / 1000, sinceLevel.seconds);
  const until = Math.max(since, ceilTo(untilMs / 1000, untilLevel.seconds));
  // Minute rows serve only edges newer than their floor; an older edge was rounded to a coarser level above.
  return { since, until, pieces: split(since, until, [...levels].reverse()) };
}

/** Rollup rows of one kind of call. */
export function callsSql(calls: Calls): string {
  return calls === 'model' ? "mcp_server = ''" : "mcp_server <> ''";
}

/** The scope in rollup terms (team_id 0 is a personal key); see UsageScope. */
export const rollupScopeSql = (scope: UsageScope) => scopeSql(scope, 'team_id = 0');

/** The aggregate columns every rollup read selects, in the order of `Sums` (`num`: the store's, see UsageStore). */
export const sumsSql = (num: (e: string) => string) =>
  ['sum(requests)', 'sum(failures)', 'sum(input_tokens)', 'sum(output_tokens)', 'sum(latency_sum)', 'min(latency_min)', 'max(latency_max)'].map(num).join(', ');
export const histSql = (num: (e: string) => string) => HIST_COLUMNS.map((c) => num(`sum(${c})`)).join(', ');

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

/** Adds summed counters to others. */
export function addSums(into: Sums, s: Sums): void {
  into.requests += s.requests;
  into.failures += s.failures;
  into.input_tokens += s.input_tokens;
  into.output_tokens += s.output_tokens;
  into.latency_sum += s.latency_sum;
  into.latency_min = Math.min(into.latency_min, s.latency_min);
  into.latency_max = Math.max(into.latency_max, s.latency_max);
  if (into.hist && s.hist) for (let i = 0; i < HIST_BUCKETS; i++) into.hist[i]! += s.hist[i]!;
}

/**
 * Runs `SELECT <select> FROM <table> WHERE <piece range> AND <filter> GROUP BY <groupBy>` for every piece
 * and hands each result row (as an array) to `each`.
 */
export async function forEachPiece(
  store: UsageStore,
  coverage: Coverage,
  filter: { sql: string; params: (number | string)[] },
  build: (piece: Piece) => { select: string; groupBy?: string },
  each: (row: unknown[]) => void,
): Promise<void> {
  for (const p of coverage.pieces) {
    const { select, groupBy } = build(p);
    const sql = `SELECT ${select} FROM ${p.table} WHERE bucket_start >= ? AND bucket_start < ? AND ${filter.sql}${groupBy ? ` GROUP BY ${groupBy}` : ''}`;
    for (const row of await store.values(sql, [p.from, p.to, ...filter.params])) each(row);
  }
}

/** avg latency (1 decimal) of summed rows. */
export const avgLatency = (s: Sums) => (s.requests ? Math.round((s.latency_sum / s.requests) * 10) / 10 : 0);

/**
 * The latency histogram of the usage rollups: fixed log-spaced buckets, so that rollup rows add up
 * column by column (an upsert is `h_i = h_i + excluded.h_i`) and percentiles of any sum of rows can be
 * read back.
 *
 * Bucket 0 holds latencies <= 1 ms; bucket i (1..38) holds (√2^(i-1), √2^i] ms; bucket 39 everything above
 * √2^38 ms (~8.7 min). Latencies are whole milliseconds, so bucket i is `v <= UPPER[i]` with
 * UPPER[i] = floor(√2^i): the JS and the SQL (bench, migration backfill) use the same integer edges.
 *
 * A percentile is the nearest-rank bucket's geometric middle, clamped to the rows' exact min and max.
 * Error bound: the estimate lies in the same bucket as the exact nearest-rank value, so it is within a
 * factor 2^(1/4) of it (≤ 19 % relative, plus 1 ms for rounding near 1 ms); values all equal come out exact.
 */
export const HIST_BUCKETS = 40;
export const HIST_COLUMNS = Array.from({ length: HIST_BUCKETS }, (_, i) => `h${i}`);

/** Inclusive integer upper edge of each bucket; the last is open (Infinity). */
export const UPPER: number[] = Array.from({ length: HIST_BUCKETS }, (_, i) => (i === HIST_BUCKETS - 1 ? Infinity : Math.floor(Math.SQRT2 ** i)));

export function histBucket(latencyMs: number): number {
  let lo = 0;
  let hi = HIST_BUCKETS - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (latencyMs <= UPPER[mid]!) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** The same bucketing as SQL, for one pass over raw rows (`CASE WHEN col <= 1 THEN 0 …`). */
export function histBucketSql(col: string): string {
  const whens = UPPER.slice(0, -1).map((u, i) => `WHEN ${col} <= ${u} THEN ${i}`);
  return `CASE ${whens.join(' ')} ELSE ${HIST_BUCKETS - 1} END`;
}

/** The q-quantile (0 < q ≤ 1) by nearest rank: the value at rank ceil(q·n). Null without rows. */
export function percentile(hist: ArrayLike<number>, q: number, min: number, max: number): number | null {
  let n = 0;
  for (let i = 0; i < hist.length; i++) n += hist[i]!;
  if (n === 0) return null;
  const rank = Math.max(1, Math.ceil(q * n));
  let seen = 0;
  for (let i = 0; i < hist.length; i++) {
    seen += hist[i]!;
    if (seen >= rank) {
      const mid = i === 0 ? 1 : Math.SQRT2 ** (i - 0.5);
      return Math.round(Math.min(max, Math.max(min, mid)));
    }
  }
  return max;
}

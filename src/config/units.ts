/** Parsers for human-friendly sizes ("32MB") and durations ("1s", "500ms", "30d"). */

const BYTE_UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  kb: 1024,
  k: 1024,
  mb: 1024 ** 2,
  m: 1024 ** 2,
  gb: 1024 ** 3,
  g: 1024 ** 3,
};

export function parseBytes(raw: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(raw);
  const unit = m ? BYTE_UNITS[m[2]!.toLowerCase()] : undefined;
  if (!m || unit === undefined) throw new Error('expected a size such as 1048576, 512KB, 32MB or 1GB');
  return Math.floor(Number(m[1]) * unit);
}

const DURATION_UNITS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 7 * 86_400_000,
};

/** Parses "500ms", "1s", "15m", "2h", "30d", "1w"; a bare number is seconds. */
export function parseDurationMs(raw: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)?\s*$/.exec(raw);
  if (!m) throw new Error('expected a duration such as 500ms, 30s, 15m, 12h, 30d or 1w');
  return Math.round(Number(m[1]) * DURATION_UNITS[m[2] ?? 's']!);
}

/**
 * After the copy: each table's row count, and the sum of one numeric column (the id where there is one), read
 * on both sides. Equal counts with equal sums leave little room for a row lost, doubled or altered in its key.
 */
import type { Database } from 'bun:sqlite';
import type { SQL } from 'bun';
import type { CopyTable } from './plan';

export interface TableTally {
  table: string;
  source: number;
  target: number;
  /** The checked column's sum on each side (null: no numeric column, or every value null). */
  sourceSum: number | null;
  targetSum: number | null;
  ok: boolean;
}

const quote = (name: string) => `"${name.replaceAll('"', '""')}"`;

export async function tally(source: Database, target: SQL, table: CopyTable): Promise<TableTally> {
  const t = quote(table.name);
  const sum = table.checksum === undefined ? 'NULL' : `sum(${quote(table.checksum)})`;
  const s = source.query<{ n: number; s: number | null }, []>(`SELECT count(*) AS n, ${sum} AS s FROM ${t}`).get()!;
  // PostgreSQL's count is bigint and its sum of integers numeric: read both as text, exact.
  const [p] = (await target.unsafe(`SELECT count(*)::text AS n, (${sum})::text AS s FROM ${t}`)) as { n: string; s: string | null }[];
  const targetCount = Number(p!.n);
  const targetSum = p!.s === null ? null : Number(p!.s);
  return {
    table: table.name,
    source: s.n,
    target: targetCount,
    sourceSum: s.s,
    targetSum,
    ok: s.n === targetCount && s.s === targetSum,
  };
}

/** The tally as aligned text lines, one per table, for the operator. */
export function formatTally(rows: TableTally[]): string[] {
  const w = Math.max(5, ...rows.map((r) => r.table.length));
  const head = `${'table'.padEnd(w)}  ${'sqlite'.padStart(10)}  ${'postgres'.padStart(10)}  check`;
  return [
    head,
    ...rows.map((r) => `${r.table.padEnd(w)}  ${String(r.source).padStart(10)}  ${String(r.target).padStart(10)}  ${r.ok ? 'ok' : `MISMATCH (sum ${r.sourceSum} vs ${r.targetSum})`}`),
  ];
}

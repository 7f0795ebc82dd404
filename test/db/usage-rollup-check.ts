/**
 * The rollups' key property, for any usage store: every rollup table equals the sums of the raw usage rows,
 * computed here from the raw rows in SQL both dialects run.
 */
import { expect } from 'bun:test';
import type { UsageStore } from '../../src/db/usage-store';
import { FAMILIES } from '../../src/domain/usage-rollups';

/** Rows compared column by column: nulls first, then numbers or strings ascending. */
export const byValues = (a: unknown[], b: unknown[]) => {
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as string | number | null;
    const y = b[i] as string | number | null;
    if (x === y) continue;
    if (x === null) return -1;
    if (y === null) return 1;
    return x < y ? -1 : 1;
  }
  return 0;
};

export const TABLES = Object.values(FAMILIES).flatMap((f) => f.levels.map((l) => ({ family: f, ...l })));

/** Each rollup dimension in raw-row terms, written out here rather than taken from the code under test. */
const RAW: Record<string, string> = {
  org_id: 'org_id', team_id: 'coalesce(team_id, 0)', user_id: 'user_id', key_id: 'key_id', model: 'model',
  mcp_server: "coalesce(mcp_server, '')", mcp_tool: "coalesce(mcp_tool, '')", end_user_id: 'end_user_id',
};

/** A rollup table next to the same sums computed from the raw rows, both sorted by key. */
async function rolledAndRaw(store: UsageStore, t: (typeof TABLES)[number]): Promise<{ rolled: unknown[][]; raw: unknown[][] }> {
  const n = store.num;
  const f = t.family;
  const dims = f.dims.map((d) => RAW[d]).join(', ');
  const where = f.name === 'end_user' ? "WHERE end_user_id <> ''" : '';
  const bucket = `(created_at / ${t.seconds * 1000}) * ${t.seconds}`;
  const raw = await store.values(
    `SELECT ${n(bucket)}, ${dims}, ${n('count(*)')}, ${n('sum(CASE WHEN status >= 400 THEN 1 ELSE 0 END)')}, ${n('sum(input_tokens)')},
            ${n('sum(output_tokens)')}, ${n('sum(latency_ms)')}, min(latency_ms), max(latency_ms)
       FROM usage ${where} GROUP BY ${bucket}, ${dims}`,
  );
  const rolled = await store.values(
    `SELECT ${n('bucket_start')}, ${f.dims.join(', ')}, ${n('requests')}, ${n('failures')}, ${n('input_tokens')}, ${n('output_tokens')},
            ${n('latency_sum')}, latency_min, latency_max FROM ${t.table}`,
  );
  return { rolled: rolled.sort(byValues), raw: raw.sort(byValues) };
}

export async function expectRollupsEqualRaw(store: UsageStore, rows: number): Promise<void> {
  const [[count]] = (await store.values(`SELECT ${store.num('count(*)')} FROM usage`)) as [[number]];
  expect(count).toBe(rows);
  for (const t of TABLES) {
    const { rolled, raw } = await rolledAndRaw(store, t);
    expect(raw.length).toBeGreaterThan(0);
    expect({ table: t.table, rows: rolled }).toEqual({ table: t.table, rows: raw });
  }
}


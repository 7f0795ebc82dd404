/**
 * The key cache's statements (key-cache.ts) through the Sql port, the same on SQLite and PostgreSQL: every
 * live key, the keys an access change touched, the change log since a given id, and the batched last-used
 * times. Id lists become `IN (?, ?, …)` in chunks (no json_each: SQLite-only), small enough for either
 * dialect's parameter limit.
 */
import type { Sql, SqlValue } from '../db/sql';
import { selectKeys, type KeyRow } from './key-rows';
import type { AccessChange } from './revisions';

/** Ids per statement: well under SQLite's and PostgreSQL's parameter limits, and a plan still cheap to make. */
const CHUNK = 500;

const marks = (n: number) => Array.from({ length: n }, () => '?').join(', ');

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** The rows an access change of each kind re-reads: `…IN (ids)` appended to the live keys' query. */
const NARROW: Record<AccessChange['kind'], (list: string) => string> = {
  key: (list) => `AND k.id IN (${list})`,
  user: (list) => `AND k.user_id IN (${list})`,
  team: (list) => `AND k.service_account_id IN (SELECT id FROM service_accounts WHERE team_id IN (${list}))`,
  org: (list) => `AND o.id IN (${list})`,
};

export interface ChangeLog {
  changes: { id: number; kind: AccessChange['kind']; ref: number }[];
  /**
   * False when changes after the last one seen may be gone from the log (pruned while this cache lagged):
   * only a full reload is then right.
   */
  intact: boolean;
}

export interface KeyReads {
  all(): Promise<KeyRow[]>;
  /** The live keys of the given keys, users, teams or orgs. */
  touchedBy(kind: AccessChange['kind'], refs: readonly number[]): Promise<KeyRow[]>;
  /** The last change id in the log (0 when empty). */
  lastChange(): Promise<number>;
  /** The changes after `seen`; more than `limit` of them (it reads one more) tells the caller to reload in full. */
  changesSince(seen: number, limit: number): Promise<ChangeLog>;
  /** Records last-used times (key id → unix ms); a later time already recorded (another node's) is kept. */
  touch(lastUsed: ReadonlyMap<number, number>): Promise<void>;
}

export function keyReads(sql: Sql): KeyReads {
  const select = selectKeys(sql);
  return {
    all: () => sql.rows<KeyRow>(select),
    async touchedBy(kind, refs) {
      const rows: KeyRow[] = [];
      for (const part of chunks(refs, CHUNK)) rows.push(...(await sql.rows<KeyRow>(`${select} ${NARROW[kind](marks(part.length))}`, part)));
      return rows;
    },
    async lastChange() {
      const row = await sql.get<{ id: number }>(`SELECT ${sql.num('coalesce(max(id), 0)')} AS id FROM access_changes`);
      return row?.id ?? 0;
    },
    async changesSince(seen, limit) {
      // From `seen` itself: the log is pruned oldest first, so while the row `seen` is still there, nothing
      // after it was pruned. (Only checking that the next id is seen + 1 would also reload after every gap a
      // rolled-back transaction leaves in PostgreSQL's identity sequence.)
      const rows = await sql.rows<ChangeLog['changes'][number]>(
        `SELECT ${sql.num('id')} AS id, kind, ref FROM access_changes WHERE id >= ? ORDER BY id LIMIT ?`,
        [seen, limit + 2],
      );
      const first = rows[0];
      if (first !== undefined && first.id === seen) return { changes: rows.slice(1), intact: true };
      // The row `seen` is gone (or was never there: an empty log at load): intact only if nothing is missing.
      return { changes: rows.slice(0, limit + 1), intact: first === undefined || first.id === seen + 1 };
    },
    async touch(lastUsed) {
      for (const part of chunks([...lastUsed], CHUNK / 5)) {
        // One statement per chunk: each key's own time, written only over an earlier (or no) time.
        const at = `CASE id ${part.map(() => 'WHEN ? THEN CAST(? AS bigint)').join(' ')} END`;
        const pairs: SqlValue[] = part.flat();
        await sql.run(
          `UPDATE api_keys SET last_used_at = ${at} WHERE id IN (${marks(part.length)}) AND (last_used_at IS NULL OR last_used_at < ${at})`,
          [...pairs, ...part.map(([id]) => id), ...pairs],
        );
      }
    },
  };
}

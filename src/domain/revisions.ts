/** Change counters (table `revisions`) that tell in-memory caches in any process to reload. */
import type { Database } from 'bun:sqlite';
import type { Sql } from '../db/sql';

/** Bumped by every change to keys, users, orgs, teams, memberships, service accounts, limits or exclusions. */
export const ACCESS_REVISION = 'access';

/**
 * PostgreSQL: the NOTIFY channel of access changes. Sent in the transaction that bumps the access revision
 * (so delivered when it commits, and never for one rolled back); every node's key cache listens on it.
 */
export const ACCESS_CHANNEL = 'aqueduct_access';

/** A revision's value (0 before its first bump): a single-row primary-key read. */
export async function readRevision(sql: Sql, name: string): Promise<number> {
  const row = await sql.get<{ value: number }>(`SELECT ${sql.num('value')} AS value FROM revisions WHERE name = ?`, [name]);
  return row?.value ?? 0;
}

/** What an access change touched: one key, or every key of a user, team or org. */
export type AccessChange = { kind: 'key' | 'user' | 'team' | 'org'; ref: number };

/** Changes kept for caches that lag behind; one further behind reloads everything. */
export const KEPT_ACCESS_CHANGES = 10_000;

/**
 * Call inside the transaction that made the change, with its `tx` (the Sql port, src/db/sql.ts; the same
 * SQL on SQLite and PostgreSQL): bumps the access revision, then logs what it touched. The bump comes
 * first: it locks the revision row until commit, so concurrent changes (PostgreSQL) take their
 * access_changes ids one transaction after another, and commit in id order — a cache that reads "ids above
 * the last one seen" cannot miss a change that committed late with a smaller id.
 */
export async function recordAccessChangesSql(tx: Sql, changes: readonly AccessChange[]): Promise<void> {
  await tx.run('INSERT INTO revisions (name, value) VALUES (?, 1) ON CONFLICT (name) DO UPDATE SET value = revisions.value + 1', [ACCESS_REVISION]);
  for (const c of changes) await tx.run('INSERT INTO access_changes (kind, ref) VALUES (?, ?)', [c.kind, c.ref]);
  if (changes.length > 0) await tx.run('DELETE FROM access_changes WHERE id <= (SELECT max(id) FROM access_changes) - ?', [KEPT_ACCESS_CHANGES]);
  // The other nodes' caches apply it at once (key-cache.ts); SQLite's processes poll the revision instead.
  if (tx.dialect === 'postgres') await tx.get(`SELECT pg_notify('${ACCESS_CHANNEL}', '')`);
}

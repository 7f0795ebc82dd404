/** Change counters (table `revisions`) that tell in-memory caches in any process to reload. */
import type { Database } from 'bun:sqlite';

/** Bumped by every change to keys, users, orgs, teams, memberships, service accounts, limits or exclusions. */
export const ACCESS_REVISION = 'access';

export function readRevision(sqlite: Database, name: string): number {
  const row = sqlite.query<{ value: number }, [string]>('SELECT value FROM revisions WHERE name = ?').get(name);
  return row?.value ?? 0;
}

/** Call inside the transaction that made the change. */
export function bumpRevision(sqlite: Database, name: string): void {
  sqlite.run(
    'INSERT INTO revisions (name, value) VALUES (?, 1) ON CONFLICT (name) DO UPDATE SET value = value + 1',
    [name],
  );
}

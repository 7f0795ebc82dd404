/**
 * Applies the embedded PostgreSQL migrations (src/db/pg/migrations.gen.ts) in order, each in its own
 * transaction, recorded in schema_migrations by tag and hash as src/db/migrate.ts does for SQLite.
 *
 * Several nodes may start together against one database: each migration's transaction first takes a
 * transaction-scoped advisory lock, then reads what is applied. The first node applies the next migration
 * while the others wait on the lock; they then see it recorded and skip it. A failing migration rolls back
 * with its transaction (PostgreSQL's DDL is transactional), leaving nothing half-applied.
 */
import type { SQL } from 'bun';
import { newerDatabase } from '../migration-tags';
import { MIGRATIONS } from './migrations.gen';

export interface Migration {
  tag: string;
  sql: string;
}

/** The advisory lock key: any fixed bigint no other client of this database uses ("aqueduct" in ASCII). */
const LOCK_KEY = '7017787745281262708';

const sha256 = (s: string) => new Bun.CryptoHasher('sha256').update(s).digest('hex');

/** Returns the tags applied by this call (empty when another node or an earlier start applied them). */
export async function migratePg(sql: SQL, migrations: Migration[] = MIGRATIONS): Promise<string[]> {
  const done: string[] = [];
  for (const m of migrations) {
    const hash = sha256(m.sql);
    const applied = await sql.begin(async (tx) => {
      await tx.unsafe(`SELECT pg_advisory_xact_lock(${LOCK_KEY})`);
      // Under the lock: creating the table concurrently would race on PostgreSQL's catalog.
      await tx.unsafe(`CREATE TABLE IF NOT EXISTS schema_migrations (
        tag text PRIMARY KEY NOT NULL,
        hash text NOT NULL,
        applied_at bigint NOT NULL
      )`);
      const rows: { tag: string; hash: string }[] = await tx.unsafe('SELECT tag, hash FROM schema_migrations');
      const recorded = new Map(rows.map((r) => [r.tag, r.hash]));
      const newer = newerDatabase(recorded.keys(), migrations);
      if (newer !== undefined) throw new Error(newer);
      const previous = recorded.get(m.tag);
      if (previous !== undefined) {
        if (previous !== hash) throw new Error(`migration ${m.tag} was changed after it was applied`);
        return false;
      }
      for (const statement of m.sql.split('--> statement-breakpoint')) {
        if (statement.trim() !== '') await tx.unsafe(statement);
      }
      await tx`INSERT INTO schema_migrations (tag, hash, applied_at) VALUES (${m.tag}, ${hash}, ${Date.now()})`;
      return true;
    });
    if (applied) done.push(m.tag);
  }
  return done;
}

/**
 * Applies the embedded migrations (src/db/migrations.gen.ts) in order, each in its own transaction.
 * Applied migrations are recorded by tag and hash; an applied migration whose SQL changed is reported,
 * since drizzle/ migrations are never edited once released.
 */
import type { Database } from 'bun:sqlite';
import { MIGRATIONS } from './migrations.gen';
import { newerDatabase } from './migration-tags';

export interface Migration {
  tag: string;
  sql: string;
}

const sha256 = (s: string) => new Bun.CryptoHasher('sha256').update(s).digest('hex');

/** Returns the tags applied by this call. */
export function migrate(sqlite: Database, migrations: Migration[] = MIGRATIONS): string[] {
  sqlite.run(`CREATE TABLE IF NOT EXISTS schema_migrations (
    tag TEXT PRIMARY KEY NOT NULL,
    hash TEXT NOT NULL,
    applied_at INTEGER NOT NULL
  )`);
  const applied = new Map(
    sqlite
      .query<{ tag: string; hash: string }, []>('SELECT tag, hash FROM schema_migrations')
      .all()
      .map((r) => [r.tag, r.hash]),
  );
  const newer = newerDatabase(applied.keys(), migrations);
  if (newer !== undefined) throw new Error(newer);
  const done: string[] = [];
  for (const m of migrations) {
    const hash = sha256(m.sql);
    const previous = applied.get(m.tag);
    if (previous !== undefined) {
      if (previous !== hash) throw new Error(`migration ${m.tag} was changed after it was applied`);
      continue;
    }
    sqlite.transaction(() => {
      for (const statement of m.sql.split('--> statement-breakpoint')) {
        if (statement.trim() !== '') sqlite.run(statement);
      }
      sqlite.run('INSERT INTO schema_migrations (tag, hash, applied_at) VALUES (?, ?, ?)', [m.tag, hash, Date.now()]);
    }).immediate();
    done.push(m.tag);
  }
  return done;
}

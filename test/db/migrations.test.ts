import { Database } from 'bun:sqlite';
import { describe, expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderMigrationsModule } from '../../scripts/embed-migrations';
import { openMemoryDatabase } from '../../src/db/connection';
import { migrate } from '../../src/db/migrate';
import { MIGRATIONS } from '../../src/db/migrations.gen';

const root = join(import.meta.dir, '../..');

/** The schema as SQLite reports it: every table, index and trigger with its SQL. */
function schemaOf(sqlite: Database): string[] {
  return sqlite
    .query<{ sql: string }, []>("SELECT type || ' ' || name || ': ' || sql AS sql FROM sqlite_master WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%' ORDER BY type, name")
    .all()
    .map((r) => r.sql);
}

describe('embedded migrations', () => {
  test('src/db/migrations.gen.ts matches drizzle/ (run `make migration` after changing the schema)', () => {
    expect(readFileSync(join(root, 'src/db/migrations.gen.ts'), 'utf8')).toBe(renderMigrationsModule(root));
    expect(MIGRATIONS.length).toBeGreaterThan(0);
  });

  test('a fresh database ends on the latest schema, and migrating again changes nothing', () => {
    const h = openMemoryDatabase();
    expect(migrate(h.sqlite)).toEqual(MIGRATIONS.map((m) => m.tag));
    const schema = schemaOf(h.sqlite);
    expect(schema.join('\n')).toContain('table api_keys');
    expect(migrate(h.sqlite)).toEqual([]);
    expect(schemaOf(h.sqlite)).toEqual(schema);
    h.close();
  });

  test('a database made by any older release upgrades to the same schema, keeping its data', () => {
    const latest = openMemoryDatabase();
    migrate(latest.sqlite);
    const expected = schemaOf(latest.sqlite);
    for (let k = 1; k <= MIGRATIONS.length; k++) {
      const h = openMemoryDatabase();
      migrate(h.sqlite, MIGRATIONS.slice(0, k)); // what the older binary left behind
      h.sqlite.run("INSERT INTO orgs (name) VALUES ('kept')");
      migrate(h.sqlite);
      expect(schemaOf(h.sqlite)).toEqual(expected);
      expect(h.sqlite.query('SELECT name FROM orgs').all()).toEqual([{ name: 'kept' }]);
      h.close();
    }
  });

  test('refuses a database migrated by a newer release, and an edited migration', () => {
    const h = openMemoryDatabase();
    migrate(h.sqlite);
    h.sqlite.run("INSERT INTO schema_migrations (tag, hash, applied_at) VALUES ('9999_future', 'x', 0)");
    expect(() => migrate(h.sqlite)).toThrow(/newer aqueduct/);
    h.close();

    const g = openMemoryDatabase();
    migrate(g.sqlite);
    const edited = MIGRATIONS.map((m, i) => (i === 0 ? { ...m, sql: `${m.sql}\n-- edited` } : m));
    expect(() => migrate(g.sqlite, edited)).toThrow(/changed after it was applied/);
    g.close();
  });

  test('a failing migration leaves nothing half-applied', () => {
    const h = openMemoryDatabase();
    const bad = [...MIGRATIONS, { tag: '9999_bad', sql: 'CREATE TABLE half (x int);\n--> statement-breakpoint\nTHIS IS NOT SQL' }];
    expect(() => migrate(h.sqlite, bad)).toThrow();
    expect(h.sqlite.query("SELECT name FROM sqlite_master WHERE name = 'half'").all()).toEqual([]);
    expect(h.sqlite.query("SELECT tag FROM schema_migrations WHERE tag = '9999_bad'").all()).toEqual([]);
    h.close();
  });
});

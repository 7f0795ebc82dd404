/**
 * SQLite and PostgreSQL end on the same schema: all of drizzle/ applied to a fresh SQLite and all of
 * drizzle-pg/ to a fresh PostgreSQL, introspected, compare equal — tables, columns (type class, nullability,
 * default, generated id), primary keys, unique and plain indexes (name, columns in order) and foreign keys
 * (target, ON DELETE/UPDATE). A change made to one dialect only fails here with the lines that differ.
 */
import { SQL } from 'bun';
import { afterAll, beforeAll, expect, test } from 'bun:test';
import { openMemoryDatabase } from '../../src/db/connection';
import { migrate } from '../../src/db/migrate';
import { migratePg } from '../../src/db/pg/migrate';
import { pgSchema } from '../support/schema/pg';
import { describe as lines } from '../support/schema/shape';
import { sqliteSchema } from '../support/schema/sqlite';
import { type Postgres, startPostgres } from '../support/services/postgres';

let pg: Postgres;
let sql: SQL;
let fromSqlite: string[];

const onlyIn = (a: string[], b: string[]) => a.filter((l) => !b.includes(l));

beforeAll(async () => {
  pg = await startPostgres();
  sql = new SQL({ url: await pg.database(), max: 1 });
  const sqlite = openMemoryDatabase();
  migrate(sqlite.sqlite);
  fromSqlite = lines(sqliteSchema(sqlite.sqlite));
  sqlite.close();
});

afterAll(async () => {
  await sql?.close();
  await pg?.stop();
});

test('the migrated SQLite and PostgreSQL schemas are the same', async () => {
  await migratePg(sql);
  const fromPg = lines(await pgSchema(sql));
  expect(fromSqlite.length).toBeGreaterThan(500);
  expect({ onlyInSqlite: onlyIn(fromSqlite, fromPg), onlyInPostgres: onlyIn(fromPg, fromSqlite) }).toEqual({ onlyInSqlite: [], onlyInPostgres: [] });
});

test('a drift in one dialect is reported as the lines that differ', async () => {
  const drifted = new SQL({ url: await pg.database(), max: 1 });
  await migratePg(drifted);
  await drifted.unsafe(`ALTER TABLE usage ALTER COLUMN model DROP NOT NULL;
    DROP INDEX usage_created_idx;
    ALTER TABLE users DROP CONSTRAINT users_org_id_orgs_id_fk;
    ALTER TABLE users ADD FOREIGN KEY (org_id) REFERENCES orgs (id) ON DELETE CASCADE;
    ALTER TABLE revisions ALTER COLUMN value SET DEFAULT 1;
    ALTER TABLE orgs ADD COLUMN note varchar(10)`);
  const fromPg = lines(await pgSchema(drifted));
  await drifted.close();
  expect({ onlyInSqlite: onlyIn(fromSqlite, fromPg), onlyInPostgres: onlyIn(fromPg, fromSqlite) }).toEqual({
    onlyInSqlite: [
      'column revisions.value integer not null default 0',
      'column usage.model text not null',
      'foreign key users (org_id) → orgs (id) on delete restrict on update no action',
      'index usage_created_idx on usage (created_at)',
    ],
    onlyInPostgres: [
      'column orgs.note unmapped:character varying(10) null',
      'column revisions.value integer not null default 1',
      'column usage.model text null',
      'foreign key users (org_id) → orgs (id) on delete cascade on update no action',
    ],
  });
});

/**
 * The PostgreSQL schema's row types equal the SQLite ones, table by table, for selects and inserts, so the
 * domain can be written once against either dialect. The checks are types: `make check` (tsc) fails on a
 * mismatch, naming the table; the runtime test below only keeps `bun test` from reporting an empty file.
 */
import { expect, test } from 'bun:test';
import { type InferInsertModel, type InferSelectModel, getTableName, is } from 'drizzle-orm';
import { PgTable } from 'drizzle-orm/pg-core';
import { SQLiteTable } from 'drizzle-orm/sqlite-core';
import * as pg from '../../src/db/pg/schema';
import * as sqlite from '../../src/db/schema';

/** True only when A and B are the same type (not merely assignable either way). */
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;

type SqliteTables = { [K in keyof typeof sqlite as (typeof sqlite)[K] extends SQLiteTable ? K : never]: (typeof sqlite)[K] };
type PgTables = { [K in keyof typeof pg as (typeof pg)[K] extends PgTable ? K : never]: (typeof pg)[K] };
type Shared = keyof SqliteTables & keyof PgTables;

/** The tables whose select (or insert) rows differ between the dialects; must be never. */
type SelectMismatches = { [K in Shared]: Equal<InferSelectModel<SqliteTables[K]>, InferSelectModel<PgTables[K]>> extends true ? never : K }[Shared];
type InsertMismatches = { [K in Shared]: Equal<InferInsertModel<SqliteTables[K]>, InferInsertModel<PgTables[K]>> extends true ? never : K }[Shared];

// A table named in an error below has a column whose TS type differs between src/db/schema.ts and src/db/pg/schema.ts.
function noMismatch<_ extends never>() {}
noMismatch<SelectMismatches>();
noMismatch<InsertMismatches>();
// Both schemas export the same tables.
noMismatch<Exclude<keyof SqliteTables, keyof PgTables>>();
noMismatch<Exclude<keyof PgTables, keyof SqliteTables>>();

test('both schemas export the same tables under the same names', () => {
  const names = (mod: Record<string, unknown>, isTable: (v: unknown) => boolean) =>
    Object.entries(mod)
      .filter(([, v]) => isTable(v))
      .map(([k, v]) => `${k}=${getTableName(v as SQLiteTable)}`)
      .sort();
  const expected = names(sqlite, (v) => is(v, SQLiteTable));
  expect(expected).toContain('usageMinute=usage_minute');
  expect(names(pg, (v) => is(v, PgTable))).toEqual(expected);
});

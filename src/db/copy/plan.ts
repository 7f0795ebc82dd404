/**
 * What `aqueduct migrate --to` copies: every table of the drizzle schemas, derived from the schema modules
 * themselves (a table added to src/db/schema.ts is copied without touching this file; one missing from the
 * PostgreSQL twin stops the copy), ordered so that a table comes after the tables its foreign keys name.
 */
import { getTableName, is } from 'drizzle-orm';
import { getTableConfig as pgConfig, PgTable } from 'drizzle-orm/pg-core';
import { getTableConfig as sqliteConfig, SQLiteTable } from 'drizzle-orm/sqlite-core';
import * as pgSchema from '../pg/schema';
import * as sqliteSchema from '../schema';

export interface CopyColumn {
  name: string;
  /** The value needs converting from SQLite's 0/1 to a PostgreSQL boolean. */
  boolean: boolean;
}

export interface CopyTable {
  name: string;
  columns: CopyColumn[];
  /** The identity column (ids preserved; its sequence is reset to the largest id afterwards), if any. */
  identity: string | undefined;
  /** A numeric column summed on both sides as a cheap checksum beside the row count. */
  checksum: string | undefined;
  /** The primary-key columns: rows are read in this order (stable batches, bounded memory). */
  primaryKey: string[];
}

const NUMERIC = new Set(['PgInteger', 'PgBigInt53', 'PgBigInt64', 'PgSerial', 'PgBigSerial53']);

function tablesOf<T>(mod: Record<string, unknown>, kind: abstract new (...args: never[]) => T): T[] {
  return Object.values(mod).filter((v): v is T => is(v, kind as never));
}

/** The copy plan: every table, parents before children. Throws when the two dialects' table sets differ. */
export function copyPlan(): CopyTable[] {
  const sqlite = new Map(tablesOf(sqliteSchema, SQLiteTable).map((t) => [getTableName(t), sqliteConfig(t)]));
  const pg = new Map(tablesOf(pgSchema, PgTable).map((t) => [getTableName(t), pgConfig(t)]));
  const missing = [...sqlite.keys()].filter((n) => !pg.has(n)).concat([...pg.keys()].filter((n) => !sqlite.has(n)));
  if (missing.length > 0) throw new Error(`the SQLite and PostgreSQL schemas differ in tables: ${missing.join(', ')}`);

  const tables = new Map<string, CopyTable>();
  const parents = new Map<string, string[]>();
  for (const [name, cfg] of pg) {
    const sqliteColumns = new Set(sqlite.get(name)!.columns.map((c) => c.name));
    const columns = cfg.columns.map((c) => {
      if (!sqliteColumns.has(c.name)) throw new Error(`column ${name}.${c.name} has no SQLite twin`);
      return { name: c.name, boolean: c.columnType === 'PgBoolean' };
    });
    const identity = cfg.columns.find((c) => (c as { generatedIdentity?: unknown }).generatedIdentity !== undefined)?.name;
    const primaryKey = cfg.columns.filter((c) => c.primary).map((c) => c.name);
    if (primaryKey.length === 0) primaryKey.push(...(cfg.primaryKeys[0]?.columns.map((c) => c.name) ?? []));
    const numericKey = primaryKey.find((k) => NUMERIC.has(cfg.columns.find((c) => c.name === k)!.columnType));
    const checksum = numericKey ?? cfg.columns.find((c) => NUMERIC.has(c.columnType))?.name;
    tables.set(name, { name, columns, identity, checksum, primaryKey });
    parents.set(
      name,
      cfg.foreignKeys.map((fk) => getTableName(fk.reference().foreignTable)).filter((p) => p !== name),
    );
  }

  // Depth-first topological order, ties broken by name so the order is stable.
  const ordered: CopyTable[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (name: string) => {
    if (state.get(name) === 'done') return;
    if (state.get(name) === 'visiting') throw new Error(`foreign keys form a cycle through ${name}`);
    state.set(name, 'visiting');
    for (const p of [...parents.get(name)!].sort()) visit(p);
    state.set(name, 'done');
    ordered.push(tables.get(name)!);
  };
  for (const name of [...tables.keys()].sort()) visit(name);
  return ordered;
}

/** The schema of a PostgreSQL database's public schema (from pg_catalog) as a Table list. */
import type { SQL } from 'bun';
import { type Table, type TypeClass, normaliseDefault } from './shape';

/**
 * PostgreSQL types → SQLite's storage classes. boolean is SQLite's integer (mode boolean); bigint and integer
 * are both SQLite's 64-bit integer; the TS row types are checked apart (test/db/pg-schema-types.test.ts).
 */
const TYPE_CLASS: Record<string, TypeClass> = { integer: 'integer', bigint: 'integer', boolean: 'integer', text: 'text', 'double precision': 'real' };

const FK_ACTION: Record<string, string> = { a: 'no action', r: 'restrict', c: 'cascade', n: 'set null', d: 'set default' };

/** Column names of attribute numbers, in the array's order. */
const names = (rel: string, nums: string) =>
  `(SELECT string_agg(a.attname, ',' ORDER BY k.ord) FROM unnest(${nums}) WITH ORDINALITY k(num, ord) JOIN pg_attribute a ON a.attrelid = ${rel} AND a.attnum = k.num)`;

export async function pgSchema(sql: SQL): Promise<Table[]> {
  const columns: { table: string; name: string; type: string; not_null: boolean; def: string | null; identity: string }[] = await sql.unsafe(`
    SELECT c.relname AS table, a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull AS not_null,
           pg_get_expr(d.adbin, d.adrelid) AS def, a.attidentity::text AS identity
    FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
    LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
    WHERE n.nspname = 'public' AND c.relkind = 'r' AND a.attnum > 0 AND NOT a.attisdropped
    ORDER BY c.relname, a.attnum`);
  const indexes: { table: string; name: string; unique: boolean; primary: boolean; columns: string }[] = await sql.unsafe(`
    SELECT t.relname AS table, i.relname AS name, x.indisunique AS unique, x.indisprimary AS primary, ${names('t.oid', 'x.indkey::int2[]')} AS columns
    FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid JOIN pg_namespace n ON n.oid = t.relnamespace
    WHERE n.nspname = 'public'`);
  const fks: { table: string; target: string; on_delete: string; on_update: string; columns: string; target_columns: string }[] = await sql.unsafe(`
    SELECT t.relname AS table, f.relname AS target, c.confdeltype::text AS on_delete, c.confupdtype::text AS on_update,
           ${names('c.conrelid', 'c.conkey')} AS columns, ${names('c.confrelid', 'c.confkey')} AS target_columns
    FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid JOIN pg_class f ON f.oid = c.confrelid JOIN pg_namespace n ON n.oid = t.relnamespace
    WHERE c.contype = 'f' AND n.nspname = 'public'`);
  const tables = [...new Set(columns.map((c) => c.table))].sort();
  return tables.map((name) => ({
    name,
    columns: columns
      .filter((c) => c.table === name)
      .map((c) => ({
        name: c.name,
        type: TYPE_CLASS[c.type] ?? (`unmapped:${c.type}` as const),
        notNull: c.not_null,
        default: normaliseDefault(c.def),
        generated: c.identity !== '',
      })),
    primaryKey: indexes.find((i) => i.table === name && i.primary)?.columns.split(',') ?? [],
    indexes: indexes.filter((i) => i.table === name && !i.primary).map((i) => ({ name: i.name, unique: i.unique, columns: i.columns.split(',') })),
    foreignKeys: fks
      .filter((f) => f.table === name)
      .map((f) => ({
        columns: f.columns.split(','),
        target: f.target,
        targetColumns: f.target_columns.split(','),
        onDelete: FK_ACTION[f.on_delete] ?? f.on_delete,
        onUpdate: FK_ACTION[f.on_update] ?? f.on_update,
      })),
  }));
}

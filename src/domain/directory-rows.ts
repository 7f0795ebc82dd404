/**
 * Rows of the access tables (orgs, teams, users, service accounts, keys) as the domain's objects, one
 * description per table serving both dialects: the select list (bigints through `sql.num`, so PostgreSQL
 * hands back numbers, not strings), row → object (snake_case → camelCase, JSON lists parsed, booleans from
 * 0/1 or false/true) and patch → `SET` assignments (lists as JSON text, booleans as TRUE/FALSE literals:
 * PostgreSQL refuses an integer for a boolean column, SQLite stores TRUE as 1).
 */
import type { Sql, SqlValue } from '../db/sql';

/**
 * How a column is stored and read. id: an integer column that is a number on both dialects (PostgreSQL
 * `integer`); big: a bigint (times, limits); json: a list stored as text; bool: a boolean (an integer on SQLite).
 */
type Kind = 'id' | 'big' | 'text' | 'json' | 'bool';

/** A table and each field of its object with the column's kind; the column is the field in snake_case. */
export interface Table<T> {
  name: string;
  fields: { [K in keyof T]-?: Kind };
}

const column = (field: string) => field.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/** The select list of a table's object (`alias`: the table's alias in the query). */
export function columns<T>(sql: Sql, t: Table<T>, alias = t.name): string {
  return Object.entries<Kind>(t.fields)
    .map(([field, kind]) => {
      const c = column(field);
      return kind === 'big' ? `${sql.num(`${alias}.${c}`)} AS ${c}` : `${alias}.${c} AS ${c}`;
    })
    .join(', ');
}

/** A boolean column's value: 0/1 on SQLite, false/true on PostgreSQL. */
export const asBool = (value: unknown): boolean => value === true || value === 1;

/** A row selected with `columns` as the table's object. */
export function fromRow<T>(t: Table<T>, row: Record<string, unknown>): T {
  const out: Record<string, unknown> = {};
  for (const [field, kind] of Object.entries<Kind>(t.fields)) {
    const value = row[column(field)];
    out[field] = kind === 'json' ? JSON.parse(value as string) : kind === 'bool' ? asBool(value) : value;
  }
  return out as T;
}

/**
 * `col = ?, …` for the fields a patch sets (undefined ones are left out, as "not sent"), with their
 * parameters; empty when the patch sets nothing. A field the table does not have is a programming error.
 */
export function assignments<T>(t: Table<T>, patch: Partial<T>): { set: string; params: SqlValue[] } {
  const parts: string[] = [];
  const params: SqlValue[] = [];
  for (const [field, value] of Object.entries(patch)) {
    if (value === undefined) continue;
    const kind = (t.fields as Record<string, Kind | undefined>)[field];
    if (kind === undefined) throw new Error(`${t.name} has no field ${field}`);
    if (kind === 'bool') {
      parts.push(`${column(field)} = ${value ? 'TRUE' : 'FALSE'}`);
      continue;
    }
    parts.push(`${column(field)} = ?`);
    params.push(kind === 'json' ? JSON.stringify(value) : (value as SqlValue));
  }
  return { set: parts.join(', '), params };
}

/** `(?, ?, …)` for an IN list of `n` values (n > 0). */
export const placeholders = (n: number) => `(${Array.from({ length: n }, () => '?').join(', ')})`;

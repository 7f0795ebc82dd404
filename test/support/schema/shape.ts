/**
 * A database schema reduced to what both dialects can express, so a migrated SQLite and a migrated
 * PostgreSQL can be compared (test/db/schema-parity.test.ts). Column order is left out: SQLite's ALTER TABLE
 * appends columns where PostgreSQL's single initial migration has them in schema order.
 */
export type TypeClass = 'integer' | 'text' | 'real';

export interface Column {
  name: string;
  type: TypeClass | `unmapped:${string}`;
  notNull: boolean;
  /** The default, normalised (casts dropped; "now in unix ms" in either dialect → `now`); null: none. */
  default: string | null;
  /** SQLite AUTOINCREMENT / PostgreSQL identity. */
  generated: boolean;
}

export interface Index {
  name: string;
  unique: boolean;
  columns: string[];
}

export interface ForeignKey {
  columns: string[];
  target: string;
  targetColumns: string[];
  /** `cascade`, `restrict`, `no action`, `set null`, `set default` */
  onDelete: string;
  onUpdate: string;
}

export interface Table {
  name: string;
  columns: Column[];
  primaryKey: string[];
  /** Every index but the primary key's (unique constraints included: both dialects back them with an index). */
  indexes: Index[];
  foreignKeys: ForeignKey[];
}

/** Drops casts and wrapping parentheses; both dialects' "now in unix ms" expressions become `now`. */
export function normaliseDefault(expr: string | null): string | null {
  if (expr === null) return null;
  if (/unixepoch|clock_timestamp/i.test(expr)) return 'now';
  let s = expr.trim();
  for (;;) {
    const next = s.replace(/::[a-z ]+$/i, '').replace(/^\((.*)\)$/s, '$1').trim();
    if (next === s) return s;
    s = next;
  }
}

/** One line per fact, sorted: two schemas are equal when their lines are, and a drift is a short list. */
export function describe(tables: Table[]): string[] {
  const lines: string[] = [];
  for (const t of tables) {
    lines.push(`table ${t.name} primary key (${t.primaryKey.join(', ')})`);
    for (const c of t.columns) {
      const extras = [c.notNull ? 'not null' : 'null', c.default === null ? '' : `default ${c.default}`, c.generated ? 'generated id' : ''];
      lines.push(`column ${t.name}.${c.name} ${c.type} ${extras.filter(Boolean).join(' ')}`);
    }
    for (const i of t.indexes) lines.push(`${i.unique ? 'unique index' : 'index'} ${i.name} on ${t.name} (${i.columns.join(', ')})`);
    for (const f of t.foreignKeys) {
      lines.push(`foreign key ${t.name} (${f.columns.join(', ')}) → ${f.target} (${f.targetColumns.join(', ')}) on delete ${f.onDelete} on update ${f.onUpdate}`);
    }
  }
  return lines.sort();
}

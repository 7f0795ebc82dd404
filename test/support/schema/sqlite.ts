/** The schema of a SQLite database (sqlite_master and the table/index/foreign-key pragmas) as a Table list. */
import type { Database } from 'bun:sqlite';
import { type Table, type TypeClass, normaliseDefault } from './shape';

const TYPE_CLASS: Record<string, TypeClass> = { integer: 'integer', text: 'text', real: 'real' };

export function sqliteSchema(db: Database): Table[] {
  const tables = db.query<{ name: string; sql: string }, []>("SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").all();
  return tables.map(({ name, sql }) => {
    const cols = db.query<{ name: string; type: string; notnull: number; dflt_value: string | null; pk: number }, []>(`PRAGMA table_info("${name}")`).all();
    // AUTOINCREMENT is only allowed on an INTEGER PRIMARY KEY column, so the table's flag names that column.
    const autoincrement = /\bAUTOINCREMENT\b/i.test(sql);
    const pk = cols.filter((c) => c.pk > 0).sort((a, b) => a.pk - b.pk);
    const indexes = db
      .query<{ name: string; unique: number; origin: string }, []>(`PRAGMA index_list("${name}")`)
      .all()
      .filter((i) => i.origin !== 'pk')
      .map((i) => ({
        name: i.name,
        unique: i.unique === 1,
        columns: db
          .query<{ seqno: number; name: string }, []>(`PRAGMA index_info("${i.name}")`)
          .all()
          .sort((a, b) => a.seqno - b.seqno)
          .map((c) => c.name),
      }));
    const fkRows = db.query<{ id: number; seq: number; table: string; from: string; to: string; on_update: string; on_delete: string }, []>(`PRAGMA foreign_key_list("${name}")`).all();
    const foreignKeys = [...new Set(fkRows.map((r) => r.id))].map((id) => {
      const parts = fkRows.filter((r) => r.id === id).sort((a, b) => a.seq - b.seq);
      return {
        columns: parts.map((p) => p.from),
        target: parts[0]!.table,
        targetColumns: parts.map((p) => p.to),
        onDelete: parts[0]!.on_delete.toLowerCase(),
        onUpdate: parts[0]!.on_update.toLowerCase(),
      };
    });
    return {
      name,
      columns: cols.map((c) => ({
        name: c.name,
        type: TYPE_CLASS[c.type.toLowerCase()] ?? (`unmapped:${c.type}` as const),
        // SQLite lets a PRIMARY KEY column (other than INTEGER PRIMARY KEY) hold NULL unless declared NOT NULL;
        // drizzle always declares it, so notnull is read as is.
        notNull: c.notnull === 1,
        default: normaliseDefault(c.dflt_value),
        generated: autoincrement && pk.length === 1 && pk[0]!.name === c.name,
      })),
      primaryKey: pk.map((c) => c.name),
      indexes,
      foreignKeys,
    };
  });
}

/**
 * Streams one table from a SQLite connection into PostgreSQL: rows are read with a cursor (never the whole
 * table in memory) and written as multi-row INSERTs of up to ~60 000 parameters (PostgreSQL's limit is 65 535),
 * keeping every value as it is, ids included. SQLite's 0/1 booleans become true/false; JSON stays text (the
 * PostgreSQL schema stores it as text too); integers arrive as JS numbers, exact below 2^53.
 */
import type { Database } from 'bun:sqlite';
import type { SQL } from 'bun';
import type { CopyTable } from './plan';

const MAX_PARAMS = 60_000;
const MAX_ROWS = 2_000;

const quote = (name: string) => `"${name.replaceAll('"', '""')}"`;

/** Copies every row of `table`; returns the number of rows written. */
export async function copyRows(source: Database, target: SQL, table: CopyTable): Promise<number> {
  const cols = table.columns;
  const list = cols.map((c) => quote(c.name)).join(', ');
  const perBatch = Math.max(1, Math.min(MAX_ROWS, Math.floor(MAX_PARAMS / cols.length)));
  const booleans = cols.map((c) => c.boolean);
  const statements = new Map<number, string>();
  const insertFor = (rows: number) => {
    let text = statements.get(rows);
    if (text === undefined) {
      const tuples: string[] = [];
      for (let r = 0; r < rows; r++) tuples.push(`(${cols.map((_, i) => `$${r * cols.length + i + 1}`).join(', ')})`);
      text = `INSERT INTO ${quote(table.name)} (${list}) VALUES ${tuples.join(', ')}`;
      statements.set(rows, text);
    }
    return text;
  };

  let params: unknown[] = [];
  let rows = 0;
  let written = 0;
  const flush = async () => {
    if (rows === 0) return;
    await target.unsafe(insertFor(rows), params);
    written += rows;
    params = [];
    rows = 0;
  };
  const read = source.query<unknown[], []>(`SELECT ${list} FROM ${quote(table.name)}`);
  for (const row of read.iterate() as IterableIterator<Record<string, unknown>>) {
    for (let i = 0; i < cols.length; i++) {
      const v = row[cols[i]!.name];
      params.push(booleans[i] && v !== null ? v !== 0 : v);
    }
    if (++rows === perBatch) await flush();
  }
  await flush();
  return written;
}

/** Sets the identity sequence past the largest id copied, so the next row PostgreSQL numbers does not collide. */
export async function resetIdentity(target: SQL, table: CopyTable): Promise<void> {
  if (table.identity === undefined) return;
  const t = quote(table.name);
  const c = quote(table.identity);
  await target.unsafe(
    `SELECT setval(pg_get_serial_sequence('${t}', '${table.identity}'), COALESCE((SELECT max(${c}) FROM ${t}), 0) + 1, false)`,
  );
}

/**
 * `aqueduct migrate --to postgres://…`: copies a single-node gateway's state into PostgreSQL (and its stored
 * files' bytes into the configured file store), for moving to more than one node.
 *
 * 1. The SQLite database is brought to this binary's schema (as every command does), then read inside one read
 *    transaction: in WAL mode that is a consistent snapshot while the gateway keeps serving and writing.
 * 2. The target gets the PostgreSQL migrations (advisory-locked, as `migrate --database-url` does).
 * 3. Everything is written in ONE PostgreSQL transaction, which first takes an advisory lock and refuses a target
 *    that has a row in any gateway table (never a merge). Tables go parents first, streamed in multi-row batches,
 *    ids kept; identity sequences are then set past the largest id.
 * 4. Per table, row counts and a column sum are compared between the snapshot and the transaction.
 * 5. Files' bytes are copied to the target store (skipped when it is the same place), sizes checked.
 * 6. Only when all of that holds is the transaction committed. Any failure rolls it back: the target keeps its
 *    schema and no rows, so the command can simply be run again (bytes already copied are not copied twice).
 */
import { SQL } from 'bun';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileStoreLocation, parseFileStore } from '../config/file-store';
import { postgresUrl, type Settings } from '../config/settings';
import { DB_FILE, openDatabase } from '../db/connection';
import { copyRows, resetIdentity } from '../db/copy/copy-rows';
import { copyPlan, type CopyTable } from '../db/copy/plan';
import { formatTally, tally } from '../db/copy/verify';
import { migrate } from '../db/migrate';
import { migratePg } from '../db/pg/migrate';
import { postgresWhere } from '../db/open-state';
import { copyObjects, type ObjectToCopy } from '../store/copy-objects';
import { openByteStore } from '../store/open-store';
import { UsageError } from './args';
import type { CommandIO } from './context';

/** A different key from the migrations' lock: two copies into one database wait for each other. */
const COPY_LOCK_KEY = '7017787745281262709';

/** A PostgreSQL URL as it may be printed: no user, no password, no query (which may carry one too). */
/** An error's message with the URL's password taken out, should a driver ever echo it. */
function safeMessage(err: unknown, url: string): string {
  let text = err instanceof Error ? err.message : String(err);
  const password = decodeURIComponent(new URL(url).password);
  if (password !== '') text = text.replaceAll(password, '***');
  return text;
}

class CopyFailed extends Error {}

export async function migrateTo(target: string, fromFileStore: string | undefined, settings: Settings, io: CommandIO): Promise<number> {
  try {
    postgresUrl(target);
  } catch {
    throw new UsageError('--to: expected a postgres:// URL');
  }
  try {
    parseFileStore(fromFileStore ?? '');
  } catch (err) {
    throw new UsageError(`--from-file-store: ${(err as Error).message}`);
  }
  const where = postgresWhere(target);
  if (!existsSync(join(settings.dataDir, DB_FILE))) throw new UsageError(`no database in ${settings.dataDir}`);

  const plan = copyPlan();
  const h = openDatabase(settings.dataDir);
  const sql = new SQL({ url: target, max: 1, connectionTimeout: 10 });
  try {
    migrate(h.sqlite);
    try {
      const applied = await migratePg(sql);
      io.out(applied.length ? `applied ${applied.join(', ')} to ${where}` : `${where}: schema up to date`);
    } catch (err) {
      io.err(`aqueduct migrate: cannot prepare ${where}: ${safeMessage(err, target)}`);
      return 1;
    }
    const fromStore = openByteStore(fromFileStore, settings.dataDir, io.env);
    const toStore = openByteStore(settings.fileStore, settings.dataDir, io.env);
    const sameStore = sameLocation(fromFileStore, settings.fileStore, settings.dataDir);

    h.sqlite.run('BEGIN');
    try {
      // The snapshot starts with the first read: everything below sees the database as of this moment.
      h.sqlite.query('SELECT count(*) FROM schema_migrations').get();
      await sql.begin(async (tx) => {
        await tx.unsafe(`SELECT pg_advisory_xact_lock(${COPY_LOCK_KEY})`);
        const occupied = await nonEmptyTables(tx, plan);
        if (occupied.length > 0) {
          throw new CopyFailed(`${where} already holds gateway data (${occupied.join(', ')}); copy only into a freshly created database`);
        }
        for (const table of plan) {
          const started = performance.now();
          const n = await copyRows(h.sqlite, tx, table);
          await resetIdentity(tx, table);
          const s = (performance.now() - started) / 1000;
          if (n > 0) io.out(`copied ${table.name}: ${n} rows in ${s.toFixed(2)} s (${Math.round(n / Math.max(s, 1e-3))} rows/s)`);
        }
        const tallies = [];
        for (const table of plan) tallies.push(await tally(h.sqlite, tx, table));
        io.out(formatTally(tallies).join('\n'));
        const bad = tallies.filter((t) => !t.ok).map((t) => t.table);
        if (bad.length > 0) throw new CopyFailed(`the copy does not match the source in ${bad.join(', ')}`);

        if (sameStore) {
          io.out(`file bytes stay where they are (${toStore.location})`);
        } else {
          const files = h.sqlite.query<{ key: string; size: number }, []>('SELECT id AS key, bytes AS size FROM files ORDER BY id').all() as ObjectToCopy[];
          const r = await copyObjects(fromStore, toStore, files);
          io.out(`file bytes ${fromStore.location} → ${toStore.location}: ${r.copied} copied (${r.bytes} bytes), ${r.skipped} already there`);
          if (r.problems.length > 0) {
            throw new CopyFailed(`${r.problems.length} file(s) could not be copied:\n  ${r.problems.slice(0, 20).join('\n  ')}`);
          }
        }
      });
    } finally {
      h.sqlite.run('ROLLBACK');
    }
    io.out(`copied ${plan.length} tables to ${where}; every count matches`);
    return 0;
  } catch (err) {
    if (err instanceof UsageError) throw err;
    const reason = safeMessage(err, target);
    io.err(`aqueduct migrate: ${reason}`);
    io.err(`aqueduct migrate: nothing was committed to ${where} by this run (the copy is one transaction); fix the cause and run it again`);
    return 1;
  } finally {
    await sql.close();
    h.close();
  }
}

async function nonEmptyTables(tx: SQL, plan: CopyTable[]): Promise<string[]> {
  const checks = plan.map((t) => `SELECT '${t.name}' AS t WHERE EXISTS (SELECT 1 FROM "${t.name}")`).join(' UNION ALL ');
  const rows = (await tx.unsafe(checks)) as { t: string }[];
  return rows.map((r) => r.t);
}

/** Whether the source and target stores are one place (then no bytes move). */
function sameLocation(from: string | undefined, to: string | undefined, dataDir: string): boolean {
  const a = fileStoreLocation(from, dataDir);
  const b = fileStoreLocation(to, dataDir);
  if (a.kind === 's3' && b.kind === 's3') return a.bucket === b.bucket && a.prefix === b.prefix;
  if (a.kind === 'directory' && b.kind === 'directory') return resolve(a.dir) === resolve(b.dir);
  return false;
}


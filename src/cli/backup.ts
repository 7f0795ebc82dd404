/** backup / restore: a consistent copy of the database taken while the gateway serves, and putting one back. */
import { Database } from 'bun:sqlite';
import { chmodSync, closeSync, copyFileSync, existsSync, openSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from './args';
import { defineCommand } from './context';
import { resolveSettings } from '../config/settings';
import { DB_FILE, openDatabase } from '../db/connection';
import { MIGRATIONS } from '../db/migrations.gen';
import { isServing } from '../pid-file';
import { refuseDatabaseUrl } from './with-directory';

export const backupCommand = defineCommand({
  name: 'backup',
  usage: 'aqueduct backup --out FILE',
  summary: 'Write a consistent copy of the database (safe while the gateway serves)',
  description: 'Uses SQLite VACUUM INTO: one consistent snapshot, taken without stopping the gateway. Stored file bytes are not\nincluded (they live in <data-dir>/files or the AQUEDUCT_FILE_STORE directory or bucket: back that up with its own tools).',
  options: [{ flag: '--out', value: 'file', description: 'Where to write the copy (must not exist)' }],
  run(args, io) {
    const out = args.flags.get('--out');
    if (!out) throw new UsageError('--out FILE is required');
    if (existsSync(out)) throw new UsageError(`${out} already exists`);
    const { settings } = resolveSettings(args.flags, io.env);
    refuseDatabaseUrl(settings);
    if (!existsSync(join(settings.dataDir, DB_FILE))) throw new UsageError(`no database in ${settings.dataDir}`);
    // The copy holds key hashes and usage: created 0600 before SQLite writes into it, whatever the umask.
    closeSync(openSync(out, 'wx', 0o600));
    chmodSync(out, 0o600);
    const h = openDatabase(settings.dataDir);
    try {
      h.sqlite.run('VACUUM INTO ?', [out]);
    } finally {
      h.close();
    }
    io.out(`wrote ${out}`);
    return 0;
  },
});

export const restoreCommand = defineCommand({
  name: 'restore',
  usage: 'aqueduct restore FILE',
  summary: 'Replace the database with a backup (the gateway must be stopped)',
  description: 'Checks that FILE is an aqueduct database no newer than this binary, keeps the current database as\naqueduct.db.before-restore, and puts FILE in its place. Start the gateway afterwards; it migrates as usual.',
  run(args, io) {
    const file = args.positional[0];
    if (args.positional.length !== 1 || !file) throw new UsageError('expected one backup FILE');
    if (!existsSync(file)) throw new UsageError(`${file} does not exist`);
    const { settings } = resolveSettings(args.flags, io.env);
    refuseDatabaseUrl(settings);
    if (isServing(settings.dataDir)) throw new UsageError('the gateway is running on this data directory: stop it first');
    let tags: string[];
    try {
      const db = new Database(file, { readonly: true });
      tags = db.query<{ tag: string }, []>('SELECT tag FROM schema_migrations').all().map((r) => r.tag);
      db.close();
    } catch {
      throw new UsageError(`${file} is not an aqueduct database`);
    }
    const known = new Set(MIGRATIONS.map((m) => m.tag));
    if (tags.some((t) => !known.has(t))) throw new UsageError(`${file} comes from a newer aqueduct; upgrade the binary first`);
    const target = join(settings.dataDir, DB_FILE);
    if (existsSync(target)) {
      // Committed pages may still sit in the -wal: checkpoint them into the file first, so that the
      // .before-restore copy is the whole previous database (renaming it alone and deleting the -wal lost them).
      const previous = new Database(target);
      previous.run('PRAGMA wal_checkpoint(TRUNCATE)');
      previous.close();
      renameSync(target, `${target}.before-restore`);
      // Whatever -wal/-shm remain belong to the previous database: they move with it, never onto the restored one.
      for (const extra of ['-wal', '-shm']) if (existsSync(`${target}${extra}`)) renameSync(`${target}${extra}`, `${target}.before-restore${extra}`);
    }
    copyFileSync(file, target);
    openDatabase(settings.dataDir).close(); // WAL mode and a quick open check
    io.out(`restored ${file} into ${target}${existsSync(`${target}.before-restore`) ? ` (the previous database is ${target}.before-restore)` : ''}`);
    return 0;
  },
});

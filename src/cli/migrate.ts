import { SQL } from 'bun';
import { resolveSettings, SETTINGS } from '../config/settings';
import { openDatabase } from '../db/connection';
import { migrate } from '../db/migrate';
import { migratePg } from '../db/pg/migrate';
import { UsageError } from './args';
import { defineCommand, type CommandIO } from './context';
import { postgresWhere } from '../db/open-state';
import { migrateTo } from './migrate-to';

export const migrateCommand = defineCommand({
  name: 'migrate',
  usage: 'aqueduct migrate [--data-dir DIR | --database-url postgres://… | --to postgres://… [--file-store s3://…|/dir] [--from-file-store …]]',
  summary: 'Apply the embedded database migrations and exit',
  description:
    'Creates the database in the data directory if needed and applies every pending migration.\n"serve" does this too at start.\n' +
    'With AQUEDUCT_DATABASE_URL (--database-url) it applies the PostgreSQL migrations to that database instead\n' +
    '(safe to run from several nodes at once; serve does it at start too).\n\n' +
    'With --to it copies this data directory\'s gateway (safe while it serves: one consistent SQLite snapshot) into an\n' +
    'empty PostgreSQL database: migrations applied, every table copied with its ids in one transaction, counts and\n' +
    'sums compared per table, stored files\' bytes copied from --from-file-store (default <data-dir>/files) to the\n' +
    'file store (--file-store / AQUEDUCT_FILE_STORE; nothing moves when both are the same place). Exit 0 only when\n' +
    'everything matches; on any failure nothing is committed and the command can be run again.',
  options: [
    { flag: '--to', value: 'postgres://…', description: 'Copy the SQLite state into this (empty) PostgreSQL database' },
    { flag: '--from-file-store', value: 's3://…|/dir', description: "With --to: where the files' bytes are now (default <data-dir>/files)" },
  ],
  async run(args, io) {
    const { settings, problems } = resolveSettings(args.flags, io.env);
    const to = args.flags.get('--to');
    if (to !== undefined) {
      const storeProblem = problems.find((p) => p.startsWith(SETTINGS.fileStore.env) || p.startsWith(SETTINGS.fileStore.flag));
      if (storeProblem !== undefined) {
        io.err(`aqueduct migrate: ${storeProblem}`);
        return 1;
      }
      return migrateTo(to, args.flags.get('--from-file-store'), settings, io);
    }
    if (args.flags.has('--from-file-store')) throw new UsageError('--from-file-store goes with --to');
    const urlProblem = problems.find((p) => p.startsWith(SETTINGS.databaseUrl.env) || p.startsWith(SETTINGS.databaseUrl.flag));
    if (urlProblem !== undefined) {
      io.err(`aqueduct migrate: ${urlProblem}`);
      return 1;
    }
    if (settings.databaseUrl !== undefined) return migratePostgres(settings.databaseUrl, io);
    const h = openDatabase(settings.dataDir);
    try {
      const applied = migrate(h.sqlite);
      io.out(applied.length ? `applied ${applied.join(', ')} to ${h.path}` : `${h.path} is up to date`);
      return 0;
    } finally {
      h.close();
    }
  },
});

async function migratePostgres(url: string, io: CommandIO): Promise<number> {
  // Named without its credentials: the output may end up in logs.
  const where = postgresWhere(url);
  const sql = new SQL({ url, max: 1 });
  try {
    const applied = await migratePg(sql);
    io.out(applied.length ? `applied ${applied.join(', ')} to ${where}` : `${where} is up to date`);
    return 0;
  } finally {
    await sql.close();
  }
}

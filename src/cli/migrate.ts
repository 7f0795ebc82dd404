import { SQL } from 'bun';
import { resolveSettings, SETTINGS } from '../config/settings';
import { openDatabase } from '../db/connection';
import { migrate } from '../db/migrate';
import { migratePg } from '../db/pg/migrate';
import { defineCommand, type CommandIO } from './context';

export const migrateCommand = defineCommand({
  name: 'migrate',
  usage: 'aqueduct migrate [--data-dir DIR | --database-url postgres://…]',
  summary: 'Apply the embedded database migrations and exit',
  description:
    'Creates the database in the data directory if needed and applies every pending migration.\n"serve" does this too at start.\n' +
    'With AQUEDUCT_DATABASE_URL (--database-url) it applies the PostgreSQL migrations to that database instead\n' +
    '(safe to run from several nodes at once); the gateway does not serve from PostgreSQL yet.',
  async run(args, io) {
    const { settings, problems } = resolveSettings(args.flags, io.env);
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
  const u = new URL(url);
  const where = `postgres://${u.host}${u.pathname}`;
  const sql = new SQL({ url, max: 1 });
  try {
    const applied = await migratePg(sql);
    io.out(applied.length ? `applied ${applied.join(', ')} to ${where}` : `${where} is up to date`);
    return 0;
  } finally {
    await sql.close();
  }
}

import { resolveSettings } from '../config/settings';
import { openDatabase } from '../db/connection';
import { migrate } from '../db/migrate';
import { defineCommand } from './context';

export const migrateCommand = defineCommand({
  name: 'migrate',
  usage: 'aqueduct migrate [--data-dir DIR]',
  summary: 'Apply the embedded database migrations and exit',
  description: 'Creates the database in the data directory if needed and applies every pending migration.\n"serve" does this too at start.',
  run(args, io) {
    const { settings } = resolveSettings(args.flags, io.env);
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

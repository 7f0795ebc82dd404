/** Opens (and migrates) the database for one operator command, straight on the data directory. */
import { resolveSettings, type Settings } from '../config/settings';
import { openDatabase, type DbHandle } from '../db/connection';
import { migrate } from '../db/migrate';
import { Directory } from '../domain/directory';
import type { CommandIO } from './context';

export function withDirectory<T>(flags: ReadonlyMap<string, string>, io: CommandIO, fn: (dir: Directory, h: DbHandle, settings: Settings) => T): T {
  const { settings } = resolveSettings(flags, io.env);
  const h = openDatabase(settings.dataDir);
  try {
    migrate(h.sqlite);
    return fn(new Directory(h), h, settings);
  } finally {
    h.close();
  }
}

export const iso = (ms: number | null) => (ms === null ? '-' : new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z'));

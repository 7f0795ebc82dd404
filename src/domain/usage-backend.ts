/**
 * The usage recorder and reads for the configured database: SQLite (the data directory's file) or
 * PostgreSQL (AQUEDUCT_DATABASE_URL), where every node writes its own calls and reads everyone's.
 */
import type { DbHandle } from '../db/connection';
import { pgUsageStore } from '../db/pg/usage-store';
import { sqliteUsageStore } from '../db/sqlite/usage-store';
import type { UsageStore } from '../db/usage-store';
import type { Logger } from '../log';
import { WorkerUsageRecorder, type WorkerRecorderOptions } from './usage';
import { usageReads, type UsageReads } from './usage-reads';

export interface UsageBackend {
  /** Queues records and writes them from a worker thread. */
  recorder: WorkerUsageRecorder;
  reads: UsageReads;
  /** Closes the writer (after writing what is queued) and the reads' connections. */
  close(): Promise<void>;
}

/** The usage store of the configured database (its own pool on PostgreSQL; close it when done). */
export function usageStoreFor(settings: { databaseUrl?: string }, sqlite: DbHandle | undefined): UsageStore {
  if (settings.databaseUrl !== undefined) return pgUsageStore(settings.databaseUrl);
  if (sqlite === undefined) throw new Error('usage store: neither a PostgreSQL url nor a SQLite database');
  return sqliteUsageStore(sqlite.sqlite);
}

export function usageBackend(
  settings: { databaseUrl?: string },
  /** The data directory's database; unused (may be undefined) when the settings name PostgreSQL. */
  sqlite: DbHandle | undefined,
  log: Logger,
  opts: WorkerRecorderOptions = {},
): UsageBackend {
  const store = usageStoreFor(settings, sqlite);
  const recorder = new WorkerUsageRecorder(settings.databaseUrl ?? sqlite!.path, log, opts);
  return {
    recorder,
    reads: usageReads(store),
    close: async () => {
      await recorder.close();
      await store.close();
    },
  };
}

/**
 * The usage recorder and reads for the configured database: SQLite (the data directory's file) or
 * PostgreSQL (AQUEDUCT_DATABASE_URL). serve uses SQLite only until the other concepts have their
 * PostgreSQL stores (src/cli/with-directory.ts refuses the url); tests build the PostgreSQL one.
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

export function usageBackend(
  settings: { databaseUrl?: string },
  sqlite: DbHandle,
  log: Logger,
  opts: WorkerRecorderOptions = {},
): UsageBackend {
  const url = settings.databaseUrl;
  const store: UsageStore = url !== undefined ? pgUsageStore(url) : sqliteUsageStore(sqlite.sqlite);
  const recorder = new WorkerUsageRecorder(url ?? sqlite.path, log, opts);
  return {
    recorder,
    reads: usageReads(store),
    close: async () => {
      await recorder.close();
      await store.close();
    },
  };
}

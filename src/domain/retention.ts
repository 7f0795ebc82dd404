/**
 * The daily in-process job that deletes usage older than the retention period, and the usage rollups'
 * old rows (minute rows after 48 h, hour and day rows after the same retention: src/domain/usage-rollups.ts).
 */
import type { Database } from 'bun:sqlite';
import type { Logger } from '../log';
import { pruneUsage } from './usage-report';
import { pruneRollups } from './usage-rollups';

const DAY = 86_400_000;

/** First run a minute after start (not on the start-up path), then daily. Returns a stop function. */
export function startRetention(sqlite: Database, retentionMs: number, log: Logger, firstRunMs = 60_000): () => void {
  const run = () => {
    try {
      const deleted = pruneUsage(sqlite, retentionMs);
      if (deleted > 0) log.info('deleted old usage records', { deleted, older_than_days: Math.round(retentionMs / DAY) });
      const rollupRows = pruneRollups(sqlite, retentionMs);
      if (rollupRows > 0) log.info('deleted old usage rollups', { rows: rollupRows });
    } catch (err) {
      log.warn('usage retention failed; will try again tomorrow', { error: (err as Error).message });
    }
  };
  let daily: Timer | undefined;
  const first = setTimeout(() => {
    run();
    daily = setInterval(run, DAY);
    daily.unref();
  }, firstRunMs);
  first.unref();
  return () => {
    clearTimeout(first);
    if (daily) clearInterval(daily);
  };
}

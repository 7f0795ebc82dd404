/**
 * The daily in-process job that deletes usage older than the retention period, and the usage rollups'
 * old rows (minute rows after 48 h, hour and day rows after the same retention: src/domain/usage-rollups.ts).
 */
import type { Logger } from '../log';
import type { UsageReads } from './usage-reads';

const DAY = 86_400_000;

/** First run a minute after start (not on the start-up path), then daily. Returns a stop function. */
export function startRetention(usage: UsageReads, retentionMs: number, log: Logger, firstRunMs = 60_000): () => void {
  const run = async () => {
    try {
      const deleted = await usage.prune(retentionMs);
      if (deleted.usage > 0) log.info('deleted old usage records', { deleted: deleted.usage, older_than_days: Math.round(retentionMs / DAY) });
      if (deleted.rollups > 0) log.info('deleted old usage rollups', { rows: deleted.rollups });
    } catch (err) {
      log.warn('usage retention failed; will try again tomorrow', { error: (err as Error).message });
    }
  };
  let daily: Timer | undefined;
  const first = setTimeout(() => {
    void run();
    daily = setInterval(() => void run(), DAY);
    daily.unref();
  }, firstRunMs);
  first.unref();
  return () => {
    clearTimeout(first);
    if (daily) clearInterval(daily);
  };
}

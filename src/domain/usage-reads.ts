/**
 * The usage reads and retention as one port over a usage store (src/db/usage-store.ts): what routes, the
 * console and the CLI call, the same for either dialect.
 */
import type { UsageStore } from '../db/usage-store';
import { pruneUsage, type ReportQuery, type ReportRow, usageReport } from './usage-report';
import { pruneRollups } from './usage-rollups';
import { type SummaryQuery, type UsageSummary, usageSummary } from './usage-summary';

export interface UsageReads {
  /** GET /admin/usage and `aqueduct usage`: from the raw rows. */
  report(q: ReportQuery): Promise<ReportRow[]>;
  /** The console's dashboards and CSV: from the rollups. */
  summary(q: SummaryQuery): Promise<UsageSummary>;
  /** Deletes rows older than the retention (minute rollups after 48 h); how many of each. */
  prune(retentionMs: number, now?: number): Promise<{ usage: number; rollups: number }>;
}

export function usageReads(store: UsageStore): UsageReads {
  return {
    report: (q) => usageReport(store, q),
    summary: (q) => usageSummary(store, q),
    prune: async (retentionMs, now = Date.now()) => ({
      usage: await pruneUsage(store, retentionMs, now),
      rollups: await pruneRollups(store, retentionMs, now),
    }),
  };
}

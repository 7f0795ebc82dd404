/** The usage record and its write (rows plus rollups), shared by the inline writer, the writer worker and batch lines. */
import type { Database } from 'bun:sqlite';
import { writeUsageSync } from '../db/sqlite/usage-store';
import type { SqlValue, UsageWrite } from '../db/usage-store';
import { rollupUpserts } from './usage-rollups';

export interface UsageRecord {
  createdAt: number;
  requestId: string;
  keyId: number;
  userId: number;
  orgId: number;
  teamId: number | null;
  model: string;
  deployment: string | null;
  endpoint: string;
  status: number;
  latencyMs: number;
  ttftMs: number | null;
  inputTokens: number;
  outputTokens: number;
  endUserId: string;
  stream: boolean;
  errorCode: string | null;
  /** Set for calls made by a batch. */
  batchId?: string | null;
  /** MCP: the server, and the tool of a tools/call. */
  mcpServer?: string | null;
  mcpTool?: string | null;
  /** Audio calls: seconds of audio (null when unknown or not an audio call). */
  audioSeconds?: number | null;
}

/** A record as a usage row (src/db/usage-store.ts USAGE_COLUMNS order). */
function toRow(r: UsageRecord): SqlValue[] {
  return [
    r.createdAt, r.requestId, r.keyId, r.userId, r.orgId, r.teamId, r.model, r.deployment, r.endpoint, r.status,
    r.latencyMs, r.ttftMs, r.inputTokens, r.outputTokens, r.endUserId, r.stream ? 1 : 0, r.errorCode, r.batchId ?? null,
    r.mcpServer ?? null, r.mcpTool ?? null, r.audioSeconds ?? null,
  ];
}

/**
 * Records as one store write: the rows and, for those the store inserts, their rollup additions
 * (src/domain/usage-rollups.ts), so the rollups are always exactly the sums of the rows. `recheck`: see
 * UsageWrite (a retry after a failure whose outcome may have been a commit).
 */
export function usageWrite(records: UsageRecord[], recheck = false): UsageWrite {
  const rows = records.map(toRow);
  const recordOf = new Map(rows.map((row, i) => [row, records[i]!]));
  return { rows, recheck, rollups: (kept) => rollupUpserts(kept.map((row) => recordOf.get(row)!)) };
}

/** Inserts rows and their rollups into SQLite in one transaction (or in the caller's, when there is one). */
export function insertUsageRows(db: Database, rows: UsageRecord[]): void {
  writeUsageSync(db, usageWrite(rows));
}

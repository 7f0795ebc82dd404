/** The usage row and its insertion, shared by the inline writer and the writer worker. */
import type { Database, Statement } from 'bun:sqlite';
import { addToRollups } from './usage-rollups';

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

const COLUMNS = [
  'created_at', 'request_id', 'key_id', 'user_id', 'org_id', 'team_id', 'model', 'deployment', 'endpoint', 'status',
  'latency_ms', 'ttft_ms', 'input_tokens', 'output_tokens', 'end_user_id', 'stream', 'error_code', 'batch_id',
  'mcp_server', 'mcp_tool', 'audio_seconds',
] as const;

const statements = new WeakMap<Database, Statement>();

/**
 * Inserts rows and adds them to the rollups (src/domain/usage-rollups.ts) in one transaction (or in the
 * caller's, when there is one), so the rollups are always exactly the sums of the rows.
 */
export function insertUsageRows(db: Database, rows: UsageRecord[]): void {
  let insert = statements.get(db);
  if (!insert) {
    insert = db.prepare(`INSERT INTO usage (${COLUMNS.join(', ')}) VALUES (${COLUMNS.map(() => '?').join(', ')})`);
    statements.set(db, insert);
  }
  const stmt = insert;
  db.transaction(() => {
    for (const r of rows) {
      stmt.run(
        r.createdAt, r.requestId, r.keyId, r.userId, r.orgId, r.teamId, r.model, r.deployment, r.endpoint, r.status,
        r.latencyMs, r.ttftMs, r.inputTokens, r.outputTokens, r.endUserId, r.stream ? 1 : 0, r.errorCode, r.batchId ?? null,
        r.mcpServer ?? null, r.mcpTool ?? null, r.audioSeconds ?? null,
      );
    }
    addToRollups(db, rows);
  }).immediate();
}

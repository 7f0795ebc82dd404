/**
 * The one builder of usage records: live calls, batch lines and MCP calls all describe what happened with
 * the same facts, and the caller's identity (key, user, org, team) is taken the same way for each.
 */
import type { UsageRecord } from '../domain/usage';

/** Who is billed: a key and its owner (for a service-account key, the team and the team's org). */
export interface Billed {
  keyId: number;
  userId: number;
  orgId: number;
  teamId: number | null;
}

export interface CallFacts {
  requestId: string;
  /** chat | completions | embeddings | speech | images | transcriptions | translations, or mcp.initialize | mcp.tools/call */
  endpoint: string;
  /** The resolved model_name ('' for MCP calls). */
  model: string;
  deployment?: string | null;
  status: number;
  latencyMs: number;
  ttftMs?: number | null;
  inputTokens?: number;
  outputTokens?: number;
  endUserId?: string;
  stream?: boolean;
  errorCode?: string | null;
  batchId?: string | null;
  mcpServer?: string | null;
  mcpTool?: string | null;
  /** Audio calls: seconds of audio, when known. */
  audioSeconds?: number | null;
}

// Fields are listed rather than spread: this runs once per call on the hot path.
export function usageRecord(who: Billed, f: CallFacts, createdAt = Date.now()): UsageRecord {
  return {
    createdAt,
    requestId: f.requestId,
    keyId: who.keyId,
    userId: who.userId,
    orgId: who.orgId,
    teamId: who.teamId,
    model: f.model,
    deployment: f.deployment ?? null,
    endpoint: f.endpoint,
    status: f.status,
    latencyMs: f.latencyMs,
    ttftMs: f.ttftMs ?? null,
    inputTokens: f.inputTokens ?? 0,
    outputTokens: f.outputTokens ?? 0,
    endUserId: f.endUserId ?? '',
    stream: f.stream ?? false,
    errorCode: f.errorCode ?? null,
    batchId: f.batchId ?? null,
    mcpServer: f.mcpServer ?? null,
    mcpTool: f.mcpTool ?? null,
    audioSeconds: f.audioSeconds ?? null,
  };
}

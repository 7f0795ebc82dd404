/**
 * What happened to one request, as the access log and the metrics see it: one line per request (model
 * calls are written by the model-call pipeline when the call ends, streams included). The HTTP edge
 * writes it out (src/http/access-log.ts); src/domain/metrics.ts counts it.
 */
export interface AccessLine {
  request_id: string;
  method: string;
  path: string;
  status: number;
  latency_ms: number;
  key?: string;
  model?: string;
  input_tokens?: number;
  output_tokens?: number;
  stream?: boolean;
  ttft_ms?: number | null;
  /** Set when the gateway itself refused the call: over a rate limit, or limits could not be checked (Redis down). */
  refused?: 'rate_limit' | 'rate_limits_unavailable';
}

export type AccessLog = (line: AccessLine) => void;

export const noAccessLog: AccessLog = () => {};

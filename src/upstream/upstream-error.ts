/** Turning what went wrong upstream into the gateway's answer (status, message, retry advice). */
import { ApiError } from '../http/api-error';

export type Failure =
  | { kind: 'status'; status: number; body: string; headers: Headers }
  | { kind: 'connect'; message: string }
  | { kind: 'timeout'; timeoutMs: number };

/** 429 and 5xx, connection failures and timeouts before the first byte are worth another attempt. */
export function isRetryable(f: Failure): boolean {
  return f.kind !== 'status' || f.status === 429 || f.status >= 500;
}

/** The upstream's own error fields, when its body is an OpenAI error. */
function upstreamError(body: string): { message?: string; type?: string; code?: string; param?: string } {
  try {
    const parsed = JSON.parse(body) as { error?: unknown; message?: unknown };
    const e = (typeof parsed.error === 'object' && parsed.error !== null ? parsed.error : parsed) as Record<string, unknown>;
    const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
    return { message: str(e.message) ?? str(parsed.error), type: str(e.type), code: str(e.code) ?? (typeof e.code === 'number' ? String(e.code) : undefined), param: str(e.param) };
  } catch {
    return { message: body.trim().slice(0, 500) || undefined };
  }
}

/** Seconds (or an HTTP date) in Retry-After / retry-after-ms → ms, or undefined. */
export function retryAfterMs(headers: Headers): number | undefined {
  const ms = Number(headers.get('retry-after-ms'));
  if (headers.has('retry-after-ms') && Number.isFinite(ms) && ms >= 0) return ms;
  const raw = headers.get('retry-after');
  if (raw === null) return undefined;
  const seconds = Number(raw);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(raw);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

const NO_RETRY = { 'x-should-retry': 'false' };

export function failureToApiError(f: Failure, model: string): ApiError {
  if (f.kind === 'timeout') {
    // We already waited (and retried); a client retry would only double the cost.
    return new ApiError(504, `The upstream for model ${model} did not answer within ${f.timeoutMs / 1000} s.`, { code: 'upstream_timeout', headers: NO_RETRY });
  }
  if (f.kind === 'connect') {
    return new ApiError(503, `Could not reach any deployment of model ${model}: ${f.message}`, { code: 'upstream_unreachable' });
  }
  const e = upstreamError(f.body);
  const message = e.message ?? `Upstream answered ${f.status}`;
  if (f.status === 429) {
    const wait = retryAfterMs(f.headers);
    const headers: Record<string, string> = {};
    if (wait !== undefined) {
      headers['retry-after'] = String(Math.max(1, Math.ceil(wait / 1000)));
      headers['retry-after-ms'] = String(Math.round(wait));
    }
    return new ApiError(429, message, { type: e.type ?? 'rate_limit_error', code: e.code ?? 'rate_limit_exceeded', param: e.param, headers });
  }
  if (f.status >= 500) {
    return new ApiError(502, `The upstream for model ${model} failed (${f.status}): ${message}`, { type: 'upstream_error', code: 'upstream_error' });
  }
  // Upstream 4xx: same status, the upstream's words; retrying the same request cannot help.
  const retryable = f.status === 408 || f.status === 409;
  return new ApiError(f.status, message, { type: e.type, code: e.code, param: e.param, headers: retryable ? {} : NO_RETRY });
}

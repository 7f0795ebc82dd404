/**
 * What the caller is told when the upstream could not answer. A 4xx passes the upstream's own words on
 * (its message, type, code, param) with every configured secret redacted; a 5xx, a network error or a
 * timeout gets the gateway's own message naming the model and the request id, while the upstream's body,
 * host and address go to the log only.
 */
import { Refusal } from '../domain/refusal';
import type { Logger } from '../log';
import { retryAfterMs, type Failure } from '../upstream/upstream-error';
import type { Secrets } from './secrets';

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

export interface FailureContext {
  model: string;
  requestId: string;
  secrets: Secrets;
  log: Logger;
}

export function failureToRefusal(f: Failure, c: FailureContext): Refusal {
  const ref = `(request ${c.requestId})`;
  switch (f.kind) {
    case 'timeout':
      // We already waited (and retried); a client retry would only double the cost.
      return new Refusal('upstream_timeout', `The upstream for model ${c.model} did not answer within ${f.timeoutMs / 1000} s ${ref}.`, { code: 'upstream_timeout', final: true });
    case 'connect':
      c.log.warn('upstream unreachable', { request_id: c.requestId, model: c.model, error: f.message });
      return new Refusal('upstream_unreachable', `Could not reach any deployment of model ${c.model} ${ref}.`, { code: 'upstream_unreachable' });
    case 'request':
      return new Refusal('invalid', `The request could not be sent to model ${c.model}: ${f.message.slice(0, 200)}`, { code: 'invalid_request_body', final: true });
  }
  if (f.status >= 500) {
    c.log.warn('upstream failed', { request_id: c.requestId, model: c.model, status: f.status, body: f.body.slice(0, 1000) });
    return new Refusal('upstream_failed', `The upstream for model ${c.model} failed (${f.status}) ${ref}.`, { type: 'upstream_error', code: 'upstream_error' });
  }
  const e = upstreamError(f.body);
  const message = c.secrets.redact(e.message ?? `Upstream answered ${f.status}`);
  const redact = (v: string | undefined) => (v === undefined ? undefined : c.secrets.redact(v));
  if (f.status === 429) {
    return new Refusal('upstream_rate_limited', message, { type: redact(e.type) ?? 'rate_limit_error', code: redact(e.code) ?? 'rate_limit_exceeded', param: redact(e.param), retryAfterMs: retryAfterMs(f.headers) });
  }
  // Upstream 4xx: same status, the upstream's words; retrying the same request cannot help (but 408/409 may).
  return new Refusal('upstream_refused', message, { upstreamStatus: f.status, type: redact(e.type), code: redact(e.code), param: redact(e.param), final: f.status !== 408 && f.status !== 409 });
}

/**
 * The status a refusal has: what usage rows record and what the HTTP edge answers with (one table for
 * both, so a call's row always shows the status its caller saw).
 */
import type { Refusal, RefusalKind } from '../domain/refusal';

const STATUS: Record<RefusalKind, number> = {
  invalid: 400,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  too_large: 413,
  unsupported_media: 415,
  rate_limited: 429,
  no_space: 507,
  unavailable: 503,
  client_gone: 499,
  upstream_refused: 400,
  upstream_rate_limited: 429,
  upstream_failed: 502,
  upstream_unreachable: 503,
  upstream_timeout: 504,
};

export function statusOf(r: Refusal): number {
  return r.kind === 'upstream_refused' && r.upstreamStatus !== undefined ? r.upstreamStatus : STATUS[r.kind];
}

/**
 * The edge's half of a refusal: the HTTP status, the OpenAI error type and the headers for a domain
 * Refusal (src/domain/refusal.ts). The only place where a refusal's kind becomes a status.
 */
import { statusOf } from '../calls/refusal-status';
import { Refusal, type RateState, type RefusalKind } from '../domain/refusal';
import { formatDuration } from '../domain/rate-limiter';
import { ApiError } from './api-error';
import { DatabaseUnavailable } from '../db/sql';

/** What a caller sees while the shared database is out of reach: try again in a moment. */
const DATABASE_UNAVAILABLE = new Refusal('unavailable', 'The database is unavailable; try again shortly.', { code: 'database_unavailable', retryAfterMs: 1000 });


const TYPE: Partial<Record<RefusalKind, string>> = {
  rate_limited: 'rate_limit_error',
  upstream_rate_limited: 'rate_limit_error',
  no_space: 'server_error',
  unavailable: 'server_error',
  upstream_failed: 'upstream_error',
};


const names = (dim: string) => [`x-ratelimit-limit-${dim}`, `x-ratelimit-remaining-${dim}`, `x-ratelimit-reset-${dim}`] as const;
const REQUESTS = names('requests');
// OpenAI clients know one token budget: "tokens" is the input budget; output tokens have their own names.
const TOKENS = names('tokens');
const OUTPUT_TOKENS = names('output-tokens');

/** x-ratelimit-{limit,remaining,reset}-{requests,tokens,output-tokens} for the limits that are set. */
export function rateHeaders(rate: RateState | undefined, into: Record<string, string> = {}): Record<string, string> {
  if (rate === undefined) return into;
  const put = (n: readonly [string, string, string], b: { limit: number; remaining: number; resetMs: number }) => {
    into[n[0]] = String(b.limit);
    into[n[1]] = String(b.remaining);
    into[n[2]] = formatDuration(b.resetMs);
  };
  if (rate.requests) put(REQUESTS, rate.requests);
  if (rate.inputTokens) put(TOKENS, rate.inputTokens);
  if (rate.outputTokens) put(OUTPUT_TOKENS, rate.outputTokens);
  return into;
}

export function refusalToApiError(r: Refusal): ApiError {
  const headers: Record<string, string> = {};
  if (r.final) headers['x-should-retry'] = 'false';
  if (r.retryAfterMs !== undefined) {
    headers['retry-after'] = String(Math.max(1, Math.ceil(r.retryAfterMs / 1000)));
    headers['retry-after-ms'] = String(Math.max(1, Math.ceil(r.retryAfterMs)));
  }
  rateHeaders(r.rate, headers);
  return new ApiError(statusOf(r), r.message, { type: r.type ?? TYPE[r.kind], param: r.param, code: r.code, headers });
}

/** Any thrown value as the ApiError the edge answers with (500 for what nobody expected). */
export function asApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  if (err instanceof Refusal) return refusalToApiError(err);
  if (err instanceof DatabaseUnavailable) return refusalToApiError(DATABASE_UNAVAILABLE);
  return new ApiError(500, 'The server had an error while processing your request.');
}

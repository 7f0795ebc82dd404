/** What went wrong in one upstream attempt, and whether another attempt could help (transport only). */

export type Failure =
  /** `retryable`: the provider's own verdict on this status (absent: 429 and 5xx). */
  | { kind: 'status'; status: number; body: string; headers: Headers; retryable?: boolean }
  | { kind: 'connect'; message: string }
  | { kind: 'timeout'; timeoutMs: number }
  /** The request could not be built (e.g. a body that cannot be encoded): the caller's problem. */
  | { kind: 'request'; message: string };

/** 429 and 5xx, connection failures and timeouts before the first byte are worth another attempt. */
export function isRetryable(f: Failure): boolean {
  if (f.kind === 'request') return false;
  if (f.kind === 'status' && f.retryable !== undefined) return f.retryable;
  return f.kind !== 'status' || f.status === 429 || f.status >= 500;
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

/** Every deployment of every model in the chain failed; `failure` is the last one, of `model`. */
export class UpstreamExhausted extends Error {
  constructor(
    readonly failure: Failure,
    readonly model: string,
  ) {
    super(`upstream failed for ${model}: ${failure.kind}`);
  }
}

/** The caller went away: there is nobody left to answer. */
export class ClientGone extends Error {
  constructor() {
    super('The client closed the request.');
  }
}

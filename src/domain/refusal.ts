/**
 * Why the gateway says no, in domain terms: a kind, a message for the caller, the parameter at fault and
 * the retry advice. Domain code and the model-call pipeline throw these; they know no HTTP. The edge
 * (src/http/refusal-response.ts) is the one place that turns a kind into a status and headers.
 */

export type RefusalKind =
  /** The request itself is wrong. */
  | 'invalid'
  | 'unauthenticated'
  | 'forbidden'
  /** Absent, or out of the caller's reach (indistinguishable on purpose). */
  | 'not_found'
  | 'conflict'
  | 'too_large'
  | 'unsupported_media'
  /** The caller's own rate limits. */
  | 'rate_limited'
  /** The gateway's disk is full. */
  | 'no_space'
  /** A service the gateway needs for this call is unreachable (the shared rate-limit store, the file store). */
  | 'unavailable'
  /** The caller went away before the answer. */
  | 'client_gone'
  /** The upstream refused the request (a 4xx of its own, carried in `upstreamStatus`). */
  | 'upstream_refused'
  /** The upstream asked us to slow down, and retries did not help. */
  | 'upstream_rate_limited'
  /** The upstream failed (5xx, broken answer). */
  | 'upstream_failed'
  /** No deployment could be reached. */
  | 'upstream_unreachable'
  | 'upstream_timeout';

/** Remaining budget of one rate-limit dimension, for the x-ratelimit-* headers. */
export interface RateBudget {
  limit: number;
  remaining: number;
  /** When the window is empty again, ms from now. */
  resetMs: number;
}

/** The caller's rate-limit budgets after a call was admitted (or refused), per dimension that has a limit. */
export interface RateState {
  requests?: RateBudget;
  inputTokens?: RateBudget;
  outputTokens?: RateBudget;
}

export interface RefusalOptions {
  param?: string | null;
  /** A stable machine-readable code (OpenAI's `code`). */
  code?: string | null;
  /** OpenAI's error `type`, when it is not the kind's usual one (e.g. an upstream's own type). */
  type?: string;
  /** True when sending the same request again cannot help. */
  final?: boolean;
  retryAfterMs?: number;
  /** For upstream_refused: the upstream's status. */
  upstreamStatus?: number;
  rate?: RateState;
}

export class Refusal extends Error {
  readonly kind: RefusalKind;
  readonly param: string | null;
  readonly code: string | null;
  readonly type: string | undefined;
  readonly final: boolean;
  readonly retryAfterMs: number | undefined;
  readonly upstreamStatus: number | undefined;
  rate: RateState | undefined;

  constructor(kind: RefusalKind, message: string, o: RefusalOptions = {}) {
    super(message);
    this.name = 'Refusal';
    this.kind = kind;
    this.param = o.param ?? null;
    this.code = o.code ?? null;
    this.type = o.type;
    this.final = o.final ?? false;
    this.retryAfterMs = o.retryAfterMs;
    this.upstreamStatus = o.upstreamStatus;
    this.rate = o.rate;
  }
}

export const modelNotFound = (model: string) =>
  new Refusal('not_found', `The model \`${model}\` does not exist or you do not have access to it.`, { code: 'model_not_found', param: 'model' });

export const clientGone = () => new Refusal('client_gone', 'The client closed the request.', { code: 'client_closed' });

/**
 * Rate limits shared by every node through Redis/Valkey: the same semantics as the in-memory limiter
 * (src/domain/rate-limiter.ts; rpm N lets N pass, token limits refuse the call after the crossing one,
 * refused calls cost nothing, pools count with their keys atomically), counted by the Lua scripts of
 * rate-limit-scripts.ts. One round trip (EVALSHA) per admitted call; a call's tokens are added after it
 * ends by a second script that nobody waits for.
 *
 * Keys: `aq:rl:{k:<key id>}` and `aq:rl:{p:<pool id>}`. The braces are Redis Cluster hash tags, so a key
 * without pools is a single-slot script and works on a cluster. A key with pools touches several slots in
 * one script, which a cluster refuses (CROSSSLOT): we target one Redis/Valkey (with a replica for
 * failover), where this costs nothing. Tagging every hash with the key's org instead (a key and its team
 * and org pools always share one org) would make every script single-slot on a cluster, at the price of
 * one org's whole traffic on one shard; the seam is `keyOf`/`poolKeyOf`.
 *
 * When Redis cannot be reached (or does not answer within the link's deadline) the `failure` mode decides:
 *   - 'closed' (default): calls of keys that have any limit (their own or a pool's) are refused with an
 *     'unavailable' refusal (503, code rate_limits_unavailable, Retry-After 1 s); keys with no limits at all
 *     still pass, since there is nothing to count. Tokens of calls ending meanwhile are not counted.
 *   - 'open': this node counts in its own in-memory limiter (limits become per node) until Redis is back;
 *     what it counted meanwhile is not carried over.
 * A script that timed out may still have run on a stalled Redis, so a call can be counted and yet refused
 * (or counted twice, in open mode): outages err towards counting too much, never too little.
 */
import type { Limits } from './key-cache';
import { InMemoryRateLimiter, type Pool, type RateDecision, type RateLimiter } from './rate-limiter';
import { ADD_TOKENS, ADMIT } from './rate-limit-scripts';
import { Refusal, type RateBudget, type RateState } from './refusal';
import { RedisUnavailable, type Script } from '../store/redis/redis-link';

/** What the limiter needs of a Redis connection (src/store/redis/redis-link.ts). */
export interface ScriptRunner {
  eval(s: Script, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown>;
}

export type RedisFailureMode = 'closed' | 'open';

export interface RedisRateLimiterOptions {
  failure?: RedisFailureMode;
  /** Prefix of every hash (default "aq:rl:"): lets several gateways share one Redis without sharing limits. */
  prefix?: string;
  /** A clock passed to the scripts instead of Redis's TIME. Tests only (sliding the window without waiting). */
  clock?: () => number;
  /** The per-node limiter of the 'open' mode (default: a new InMemoryRateLimiter). */
  fallback?: RateLimiter;
  /**
   * Told of errors other than Redis being unreachable (an error reply such as OOM, a broken reply): the
   * call is treated as with Redis down, and the link itself stays up, so nothing else would report it.
   */
  onError?: (err: unknown) => void;
}

const UNIT = 1_000_000;
const SLOTS = 60;
const FIELDS = 6;
const DIMS = ['request limit', 'input token limit', 'output token limit'] as const;

const hasLimit = (l: Limits) => l.rpm !== null || l.itpm !== null || l.otpm !== null;

interface Budget {
  key: string;
  limits: Limits;
  label: string;
}

export function rateLimitsUnavailable(): Refusal {
  return new Refusal('unavailable', 'Rate limits cannot be checked right now: the shared rate-limit store is unreachable. Try again shortly.', {
    code: 'rate_limits_unavailable',
    retryAfterMs: 1000,
  });
}

export class RedisRateLimiter implements RateLimiter {
  private readonly failure: RedisFailureMode;
  private readonly prefix: string;
  private readonly fallback: RateLimiter;
  /** Token charges on their way to Redis. */
  private readonly pending = new Set<Promise<unknown>>();

  constructor(
    private readonly redis: ScriptRunner,
    private readonly o: RedisRateLimiterOptions = {},
  ) {
    this.failure = o.failure ?? 'closed';
    this.prefix = o.prefix ?? 'aq:rl:';
    this.fallback = o.fallback ?? new InMemoryRateLimiter();
  }

  keyOf(keyId: number): string {
    return `${this.prefix}{k:${keyId}}`;
  }

  poolKeyOf(poolId: string): string {
    return `${this.prefix}{p:${poolId}}`;
  }

  private clockArg(): string {
    return this.o.clock ? String(Math.floor(this.o.clock())) : '';
  }

  async admit(keyId: number, limits: Limits, cost: number, pools: readonly Pool[] = []): Promise<RateDecision> {
    const budgets: Budget[] = [];
    if (hasLimit(limits)) budgets.push({ key: this.keyOf(keyId), limits, label: '' });
    for (const pool of pools) if (hasLimit(pool.limits)) budgets.push({ key: this.poolKeyOf(pool.id), limits: pool.limits, label: `${pool.label} ` });
    // Nothing to count: no round trip, and no refusal when Redis is down.
    if (budgets.length === 0) return { allowed: true, exceeded: [], retryAfterMs: 0, state: {} };
    const costUnits = Math.max(1, Math.round(cost * UNIT));
    const args: (string | number)[] = [this.clockArg(), costUnits];
    for (const { limits: l } of budgets) args.push(l.rpm === null ? -1 : l.rpm * UNIT, l.itpm ?? -1, l.otpm ?? -1);
    let decision: RateDecision;
    try {
      const reply = await this.redis.eval(ADMIT, budgets.map((b) => b.key), args);
      if (!Array.isArray(reply) || reply.length !== 2 + budgets.length * FIELDS) throw new Error(`unexpected reply to the admit script: ${JSON.stringify(reply)}`);
      decision = decide(budgets, reply as number[]);
    } catch (err) {
      if (!(err instanceof RedisUnavailable)) this.o.onError?.(err);
      if (this.failure === 'open') return this.fallback.admit(keyId, limits, cost, pools);
      throw rateLimitsUnavailable();
    }
    return decision;
  }

  addTokens(keyId: number, input: number, output: number, pools: readonly Pool[] = []): void {
    if (input <= 0 && output <= 0) return;
    // Like the in-memory limiter: the key's own window always (its limits may be set later), pools with limits.
    const keys = [this.keyOf(keyId), ...pools.filter((p) => hasLimit(p.limits)).map((p) => this.poolKeyOf(p.id))];
    const sent = this.redis.eval(ADD_TOKENS, keys, [this.clockArg(), Math.max(0, input), Math.max(0, output)]).catch((err) => {
      if (!(err instanceof RedisUnavailable)) this.o.onError?.(err);
      if (this.failure === 'open') this.fallback.addTokens(keyId, input, output, pools);
    });
    this.pending.add(sent);
    void sent.finally(() => this.pending.delete(sent));
  }

  /** Waits for the token charges sent so far (they are not awaited by the calls that made them). */
  async drain(): Promise<void> {
    await Promise.all([...this.pending]);
  }

  close(): void {
    this.fallback.close();
  }
}

/** The decision from the script's reply (see ADMIT): names of the exceeded limits, the wait, the budgets left. */
function decide(budgets: Budget[], reply: number[]): RateDecision {
  const nowMs = Number(reply[0]);
  const allowed = Number(reply[1]) === 1;
  const exceeded: string[] = [];
  let retryAfterMs = 0;
  const state: RateState = {};
  const tighter = (a: RateBudget | undefined, b: RateBudget) => (a === undefined || b.remaining < a.remaining ? b : a);
  budgets.forEach(({ limits: l, label }, i) => {
    const at = 2 + i * FIELDS;
    const [requests, input, output, lastAdded, mask, wait] = reply.slice(at, at + FIELDS).map(Number) as [number, number, number, number, number, number];
    const limitOf = [l.rpm, l.itpm, l.otpm];
    for (let d = 0; d < 3; d++) {
      if ((mask & (1 << d)) === 0) continue;
      const text = `${label}${DIMS[d]}`;
      exceeded.push(`${text[0]!.toUpperCase()}${text.slice(1)} (${limitOf[d]}/min)`);
    }
    retryAfterMs = Math.max(retryAfterMs, wait);
    const resetMs = lastAdded < 0 ? 0 : Math.max(0, (lastAdded + SLOTS) * 1000 - nowMs);
    const budget = (limit: number, used: number): RateBudget => ({ limit, remaining: Math.max(0, Math.floor(limit - used)), resetMs });
    if (l.rpm !== null) state.requests = tighter(state.requests, budget(l.rpm, requests / UNIT));
    if (l.itpm !== null) state.inputTokens = tighter(state.inputTokens, budget(l.itpm, input));
    if (l.otpm !== null) state.outputTokens = tighter(state.outputTokens, budget(l.otpm, output));
  });
  return { allowed, exceeded, retryAfterMs, state };
}

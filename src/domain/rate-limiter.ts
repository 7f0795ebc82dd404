/**
 * Per-key rate limits over a sliding 60-second window, counted in memory: requests, input tokens and
 * output tokens per minute. The window is 60 one-second slots, so "the last minute" is exact to a second.
 *
 * Semantics (Aqueduct's): a request is refused when the key has already used its whole budget in the
 * window — with rpm = N, N requests pass and the next is refused; token limits refuse the request after
 * the one that crossed the limit (tokens are known only when a call ends). A model's
 * request_limit_multiplier m makes each of its requests cost 1/m. Refused requests cost nothing.
 * Admission is synchronous, so N concurrent calls against a limit of N admit exactly N.
 *
 * `RateLimiter` is the seam for a shared (Redis/Valkey) limiter when one node is not enough.
 */
import type { Limits } from './key-cache';
import type { RateBudget, RateState } from './refusal';

export interface RateDecision {
  allowed: boolean;
  /** Human-readable names of the exceeded limits, e.g. "Request limit (3/min)". */
  exceeded: string[];
  /** When the refused request could pass, ms. */
  retryAfterMs: number;
  /** The budgets left, for the limits that are set (the edge turns them into x-ratelimit-* headers). */
  state: RateState;
}

/** A budget shared by several keys (a team's or an org's pooled limits), e.g. id "team:3". */
export interface Pool {
  id: string;
  /** What the pool is, in refusals: "Team", "Org". */
  label: string;
  limits: Limits;
}

export interface RateLimiter {
  /**
   * Admits (and counts) one request costing `cost` requests, or refuses it. With pools, the request passes
   * only if the key's budget and every pool's have room, and then counts in all of them, atomically.
   */
  admit(keyId: number, limits: Limits, cost: number, pools?: readonly Pool[]): RateDecision | Promise<RateDecision>;
  /** Counts a call's tokens once they are known, in the key's window and its pools'. */
  addTokens(keyId: number, input: number, output: number, pools?: readonly Pool[]): void;
  close(): void;
}

const SLOTS = 60;
/** Request costs are counted in millionths, so multipliers such as 3 or 0.7 add up exactly. */
const UNIT = 1_000_000;
const REQ = 0;
const IN = 1;
const OUT = 2;

/**
 * One key's last minute: 60 one-second slots per dimension and running totals, so a check costs O(1).
 * Moving to a new second clears the slots that fell out of the window and subtracts them from the totals.
 */
class Window {
  private readonly slots = new Float64Array(SLOTS * 3);
  private readonly totals = [0, 0, 0];
  /** The newest second the window has advanced to, and the newest second anything was counted in. */
  newest = -1;
  lastAdded = -1;

  private advance(sec: number): void {
    if (this.newest < 0 || sec - this.newest >= SLOTS) {
      if (this.newest >= 0) {
        this.slots.fill(0);
        this.totals.fill(0);
      }
    } else {
      for (let s = this.newest + 1; s <= sec; s++) {
        const base = (s % SLOTS) * 3;
        for (let d = 0; d < 3; d++) {
          this.totals[d]! -= this.slots[base + d]!;
          this.slots[base + d] = 0;
        }
      }
    }
    if (sec > this.newest) this.newest = sec;
  }

  add(sec: number, dim: number, amount: number): void {
    this.advance(sec);
    this.slots[(sec % SLOTS) * 3 + dim]! += amount;
    this.totals[dim]! += amount;
    this.lastAdded = sec;
  }

  total(sec: number, dim: number): number {
    this.advance(sec);
    return this.totals[dim]!;
  }

  /** ms until the total of `dim` drops below `limit` as old slots leave the window. */
  msUntilBelow(nowMs: number, dim: number, limit: number): number {
    const sec = Math.floor(nowMs / 1000);
    let total = this.total(sec, dim);
    for (let s = sec - SLOTS + 1; s <= sec; s++) {
      total -= this.slots[(((s % SLOTS) + SLOTS) % SLOTS) * 3 + dim]!;
      if (total < limit) return Math.max(0, (s + SLOTS) * 1000 - nowMs);
    }
    return 0;
  }

  /** ms until nothing is left in the window. */
  msUntilEmpty(nowMs: number): number {
    return this.lastAdded < 0 ? 0 : Math.max(0, (this.lastAdded + SLOTS) * 1000 - nowMs);
  }
}

/** Go-style durations as OpenAI sends them: 250ms, 12s, 1m0s. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.ceil(ms)}ms`;
  const s = Math.ceil(ms / 1000);
  return s < 60 ? `${s}s` : `${Math.floor(s / 60)}m${s % 60}s`;
}

const NO_LIMITS: RateState = {};

const hasLimit = (l: Limits) => l.rpm !== null || l.itpm !== null || l.otpm !== null;

/** One budget to check: a window with its limits, and how refusals name it ("" for the key's own). */
interface Budget {
  w: Window;
  limits: Limits;
  label: string;
}

export class InMemoryRateLimiter implements RateLimiter {
  private readonly windows = new Map<number, Window>();
  /** Pooled budgets, by pool id ("team:3", "org:1"). */
  private readonly poolWindows = new Map<string, Window>();
  private readonly sweeper: Timer;

  constructor(private readonly now: () => number = Date.now) {
    this.sweeper = setInterval(() => this.sweep(), 30_000);
    this.sweeper.unref();
  }

  /** Forgets windows with nothing left in them, so idle keys cost no memory (every 30 s). */
  sweep(): void {
    const sec = Math.floor(this.now() / 1000);
    for (const [key, w] of this.windows) if (w.lastAdded <= sec - SLOTS) this.windows.delete(key);
    for (const [key, w] of this.poolWindows) if (w.lastAdded <= sec - SLOTS) this.poolWindows.delete(key);
  }

  private keyWindow(keyId: number): Window {
    let w = this.windows.get(keyId);
    if (!w) this.windows.set(keyId, (w = new Window()));
    return w;
  }

  private poolWindow(id: string): Window {
    let w = this.poolWindows.get(id);
    if (!w) this.poolWindows.set(id, (w = new Window()));
    return w;
  }

  admit(keyId: number, limits: Limits, cost: number, pools: readonly Pool[] = []): RateDecision {
    // The common case stays a single branch: no limits and no pools.
    if (!hasLimit(limits) && pools.length === 0) return { allowed: true, exceeded: [], retryAfterMs: 0, state: NO_LIMITS };
    const nowMs = this.now();
    const sec = Math.floor(nowMs / 1000);
    const budgets: Budget[] = [];
    if (hasLimit(limits)) budgets.push({ w: this.keyWindow(keyId), limits, label: '' });
    for (const pool of pools) if (hasLimit(pool.limits)) budgets.push({ w: this.poolWindow(pool.id), limits: pool.limits, label: `${pool.label} ` });
    const costUnits = Math.max(1, Math.round(cost * UNIT));
    const exceeded: string[] = [];
    let retryAfterMs = 0;
    // Check every budget first, then count in all of them: admission is synchronous, so no other call
    // can pass in between (N concurrent calls against a pool of N admit exactly N).
    for (const { w, limits: l, label } of budgets) {
      const checks: [limit: number | null, dim: number, name: string][] = [
        [l.rpm === null ? null : l.rpm * UNIT, REQ, 'request limit'],
        [l.itpm, IN, 'input token limit'],
        [l.otpm, OUT, 'output token limit'],
      ];
      for (const [limit, dim, name] of checks) {
        if (limit === null) continue;
        if (w.total(sec, dim) >= limit) {
          const text = `${label}${name}`;
          exceeded.push(`${text[0]!.toUpperCase()}${text.slice(1)} (${dim === REQ ? l.rpm : limit}/min)`);
          retryAfterMs = Math.max(retryAfterMs, w.msUntilBelow(nowMs, dim, limit));
        }
      }
    }
    const allowed = exceeded.length === 0;
    if (allowed) for (const { w, limits: l } of budgets) if (l.rpm !== null) w.add(sec, REQ, costUnits);
    return { allowed, exceeded, retryAfterMs, state: this.state(budgets, nowMs) };
  }

  addTokens(keyId: number, input: number, output: number, pools: readonly Pool[] = []): void {
    if (input <= 0 && output <= 0) return;
    // A long call's window may have been swept while it ran (or never marked, with token limits only):
    // its tokens are charged all the same, to a window made anew.
    const sec = Math.floor(this.now() / 1000);
    const charge = (w: Window) => {
      if (input > 0) w.add(sec, IN, input);
      if (output > 0) w.add(sec, OUT, output);
    };
    charge(this.keyWindow(keyId));
    for (const pool of pools) if (hasLimit(pool.limits)) charge(this.poolWindow(pool.id));
  }

  /** The budgets left per dimension: the tightest of the key's and its pools' (the x-ratelimit-* headers). */
  private state(budgets: Budget[], nowMs: number): RateState {
    const sec = Math.floor(nowMs / 1000);
    const out: RateState = {};
    const tighter = (a: RateBudget | undefined, b: RateBudget) => (a === undefined || b.remaining < a.remaining ? b : a);
    for (const { w, limits } of budgets) {
      const resetMs = w.msUntilEmpty(nowMs);
      const budget = (limit: number, used: number): RateBudget => ({ limit, remaining: Math.max(0, Math.floor(limit - used)), resetMs });
      if (limits.rpm !== null) out.requests = tighter(out.requests, budget(limits.rpm, w.total(sec, REQ) / UNIT));
      if (limits.itpm !== null) out.inputTokens = tighter(out.inputTokens, budget(limits.itpm, w.total(sec, IN)));
      if (limits.otpm !== null) out.outputTokens = tighter(out.outputTokens, budget(limits.otpm, w.total(sec, OUT)));
    }
    return out;
  }

  close(): void {
    clearInterval(this.sweeper);
  }
}

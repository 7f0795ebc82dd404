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
import type { RateState } from './refusal';

export interface RateDecision {
  allowed: boolean;
  /** Human-readable names of the exceeded limits, e.g. "Request limit (3/min)". */
  exceeded: string[];
  /** When the refused request could pass, ms. */
  retryAfterMs: number;
  /** The budgets left, for the limits that are set (the edge turns them into x-ratelimit-* headers). */
  state: RateState;
}

export interface RateLimiter {
  /** Admits (and counts) one request costing `cost` requests, or refuses it. */
  admit(keyId: number, limits: Limits, cost: number): RateDecision | Promise<RateDecision>;
  /** Counts a call's tokens once they are known. */
  addTokens(keyId: number, input: number, output: number): void;
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

export class InMemoryRateLimiter implements RateLimiter {
  private readonly windows = new Map<number, Window>();
  private readonly sweeper: Timer;

  constructor(private readonly now: () => number = Date.now) {
    this.sweeper = setInterval(() => this.sweep(), 30_000);
    this.sweeper.unref();
  }

  /** Forgets windows with nothing left in them, so idle keys cost no memory (every 30 s). */
  sweep(): void {
    const sec = Math.floor(this.now() / 1000);
    for (const [key, w] of this.windows) if (w.lastAdded <= sec - SLOTS) this.windows.delete(key);
  }

  admit(keyId: number, limits: Limits, cost: number): RateDecision {
    const { rpm, itpm, otpm } = limits;
    if (rpm === null && itpm === null && otpm === null) return { allowed: true, exceeded: [], retryAfterMs: 0, state: NO_LIMITS };
    const nowMs = this.now();
    const sec = Math.floor(nowMs / 1000);
    let w = this.windows.get(keyId);
    if (!w) this.windows.set(keyId, (w = new Window()));
    const costUnits = Math.max(1, Math.round(cost * UNIT));
    const checks: [limit: number | null, dim: number, label: string][] = [
      [rpm === null ? null : rpm * UNIT, REQ, 'Request limit'],
      [itpm, IN, 'Input token limit'],
      [otpm, OUT, 'Output token limit'],
    ];
    const exceeded: string[] = [];
    let retryAfterMs = 0;
    for (const [limit, dim, label] of checks) {
      if (limit === null) continue;
      if (w.total(sec, dim) >= limit) {
        exceeded.push(`${label} (${dim === REQ ? rpm : limit}/min)`);
        retryAfterMs = Math.max(retryAfterMs, w.msUntilBelow(nowMs, dim, limit));
      }
    }
    const allowed = exceeded.length === 0;
    if (allowed && rpm !== null) w.add(sec, REQ, costUnits);
    return { allowed, exceeded, retryAfterMs, state: this.state(w, nowMs, limits) };
  }

  addTokens(keyId: number, input: number, output: number): void {
    if (input <= 0 && output <= 0) return;
    // A long call's window may have been swept while it ran (or never marked, with token limits only):
    // its tokens are charged all the same, to a window made anew.
    let w = this.windows.get(keyId);
    if (!w) this.windows.set(keyId, (w = new Window()));
    const sec = Math.floor(this.now() / 1000);
    if (input > 0) w.add(sec, IN, input);
    if (output > 0) w.add(sec, OUT, output);
  }

  private state(w: Window, nowMs: number, limits: Limits): RateState {
    const sec = Math.floor(nowMs / 1000);
    const resetMs = w.msUntilEmpty(nowMs);
    const budget = (limit: number, used: number) => ({ limit, remaining: Math.max(0, Math.floor(limit - used)), resetMs });
    const out: RateState = {};
    if (limits.rpm !== null) out.requests = budget(limits.rpm, w.total(sec, REQ) / UNIT);
    if (limits.itpm !== null) out.inputTokens = budget(limits.itpm, w.total(sec, IN));
    if (limits.otpm !== null) out.outputTokens = budget(limits.otpm, w.total(sec, OUT));
    return out;
  }

  close(): void {
    clearInterval(this.sweeper);
  }
}

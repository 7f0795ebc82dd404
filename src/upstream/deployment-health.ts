/**
 * Per-deployment state the router needs: calls in flight (for least-busy) and recent failures, which put a
 * deployment in cooldown once it fails `allowedFails` times within a minute.
 */
import type { Deployment } from '../config/router-config';

/** The window in which failures count towards a cooldown, ms. */
export const FAILURE_WINDOW_MS = 60_000;
/** Failure times kept per deployment for reporting (a bound, should one fail thousands of times a minute). */
const MAX_REPORTED_FAILURES = 1000;

/** What an operator sees of one deployment right now (read-only; nothing here decides routing). */
export interface HealthSnapshot {
  inFlight: number;
  /** Ms of cooldown left; 0 when the deployment takes calls. */
  cooldownLeftMs: number;
  /** Failures within the last FAILURE_WINDOW_MS, including those that started a cooldown. */
  recentFailures: number;
}

export class DeploymentHealth {
  private readonly inFlight = new Map<string, number>();
  private readonly failures = new Map<string, number[]>();
  private readonly coolUntil = new Map<string, number>();
  /** Failure times for reporting only: unlike `failures`, not cleared when a cooldown starts or a call succeeds. */
  private readonly failureLog = new Map<string, number[]>();

  constructor(
    private readonly allowedFails: number,
    private readonly cooldownMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  busy(d: Deployment): number {
    return this.inFlight.get(d.id) ?? 0;
  }

  start(d: Deployment): void {
    this.inFlight.set(d.id, this.busy(d) + 1);
  }

  finish(d: Deployment): void {
    this.inFlight.set(d.id, Math.max(0, this.busy(d) - 1));
  }

  coolingDown(d: Deployment): boolean {
    const until = this.coolUntil.get(d.id);
    return until !== undefined && until > this.now();
  }

  failed(d: Deployment): void {
    const now = this.now();
    const recent = (this.failures.get(d.id) ?? []).filter((t) => t > now - FAILURE_WINDOW_MS);
    recent.push(now);
    const logged = (this.failureLog.get(d.id) ?? []).filter((t) => t > now - FAILURE_WINDOW_MS).slice(-(MAX_REPORTED_FAILURES - 1));
    logged.push(now);
    this.failureLog.set(d.id, logged);
    if (recent.length >= Math.max(1, this.allowedFails)) {
      this.coolUntil.set(d.id, now + this.cooldownMs);
      this.failures.delete(d.id);
    } else this.failures.set(d.id, recent);
  }

  succeeded(d: Deployment): void {
    this.failures.delete(d.id);
    this.coolUntil.delete(d.id);
  }

  snapshot(d: Deployment): HealthSnapshot {
    const now = this.now();
    const until = this.coolUntil.get(d.id);
    return {
      inFlight: this.busy(d),
      cooldownLeftMs: until !== undefined && until > now ? until - now : 0,
      recentFailures: (this.failureLog.get(d.id) ?? []).filter((t) => t > now - FAILURE_WINDOW_MS).length,
    };
  }
}

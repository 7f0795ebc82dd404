/**
 * Per-deployment state the router needs: calls in flight (for least-busy) and recent failures, which put a
 * deployment in cooldown once it fails `allowedFails` times within a minute.
 */
import type { Deployment } from '../config/router-config';

export class DeploymentHealth {
  private readonly inFlight = new Map<string, number>();
  private readonly failures = new Map<string, number[]>();
  private readonly coolUntil = new Map<string, number>();

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
    const recent = (this.failures.get(d.id) ?? []).filter((t) => t > now - 60_000);
    recent.push(now);
    if (recent.length >= Math.max(1, this.allowedFails)) {
      this.coolUntil.set(d.id, now + this.cooldownMs);
      this.failures.delete(d.id);
    } else this.failures.set(d.id, recent);
  }

  succeeded(d: Deployment): void {
    this.failures.delete(d.id);
    this.coolUntil.delete(d.id);
  }
}

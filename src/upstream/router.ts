/**
 * The LiteLLM Router behaviours Aqueduct users rely on: several deployments share a model's load
 * (simple-shuffle by weight, or least-busy), failures before the first byte are retried (on another
 * deployment where there is one, else after a jittered backoff that honours Retry-After), failing
 * deployments cool down, and `fallbacks` move on to other models once a model is exhausted.
 */
import type { Deployment, ModelEntry, RouterConfig } from '../config/router-config';
import type { Endpoint } from '../config/endpoints';
import { DeploymentHealth, type HealthSnapshot } from './deployment-health';
import { providerFor } from './provider';
import { ClientGone, isRetryable, retryAfterMs, UpstreamExhausted, type Failure } from './upstream-error';

export { ClientGone, UpstreamExhausted };

export interface Routed {
  /** A 2xx upstream response whose headers have arrived; its body is not read yet. */
  response: Response;
  model: ModelEntry;
  deployment: Deployment;
  /** Aborts the upstream call (client gone, or the body stalled). */
  abort(reason?: unknown): void;
  /** Whether the call's timeout fired (for a non-stream answer it also covers reading the body). */
  timedOut(): boolean;
  /** Call once the body is consumed or abandoned. */
  release(): void;
  /** The timeout that applies to this deployment, ms (also used for gaps in the body). */
  timeoutMs: number;
}

const MAX_BACKOFF_MS = 8_000;
/** A Retry-After longer than this is not waited for: the failure is passed to the caller instead. */
const MAX_RETRY_AFTER_MS = 30_000;

/** One deployment as an operator may see it: where it goes and how it is doing, never its key or headers. */
export interface DeploymentState extends HealthSnapshot {
  /** `<model_name>#<index in model_list>`. */
  id: string;
  modelName: string;
  provider: string;
  upstreamModel: string;
  /** The host (and port) of its api_base only: no path, query or credentials; '' for built-in providers. */
  host: string;
}

/** The host of an api_base, nothing else of it (a URL may carry credentials or a key in its query). */
export function hostOf(apiBase: string): string {
  try {
    return new URL(apiBase).host;
  } catch {
    return '';
  }
}

export type RouterEvent = { type: 'failure'; deployment: string; kind: string } | { type: 'retry'; model: string };

export class UpstreamRouter {
  readonly health: DeploymentHealth;
  /** Base of the exponential backoff between attempts on the same deployment. */
  backoffBaseMs = 250;
  /** Told about failed attempts and retries (metrics). */
  onEvent: (e: RouterEvent) => void = () => {};

  constructor(private readonly config: RouterConfig) {
    this.health = new DeploymentHealth(config.settings.allowedFails, config.settings.cooldownMs);
  }

  /** The routing settings this router was built with (timeouts, retries). */
  get settings() {
    return this.config.settings;
  }

  /** Every deployment of every model in config order, with its live health (read-only). */
  deploymentStates(): DeploymentState[] {
    return [...this.config.models.values()].flatMap((m) =>
      m.deployments.map((d) => ({ id: d.id, modelName: d.modelName, provider: d.provider, upstreamModel: d.upstreamModel, host: hostOf(d.apiBase), ...this.health.snapshot(d) })),
    );
  }

  /**
   * Tries each model of the chain in order (the model, then the fallbacks the caller may use). Resolves
   * with a 2xx response; throws UpstreamExhausted with the last failure, or ClientGone.
   */
  async send(chain: readonly ModelEntry[], endpoint: Endpoint, body: Record<string, unknown>, clientSignal: AbortSignal, stream = false): Promise<Routed> {
    let last: { failure: Failure; model: ModelEntry } | undefined;
    for (const candidate of chain) {
      const result = await this.tryModel(candidate, endpoint, body, clientSignal, stream);
      if ('response' in result) return result;
      last = { failure: result.failure, model: candidate };
      if (!isRetryable(result.failure)) break; // an upstream 4xx: another model would not fix the request
    }
    throw new UpstreamExhausted(last!.failure, last!.model.name);
  }

  private async tryModel(model: ModelEntry, endpoint: Endpoint, body: Record<string, unknown>, clientSignal: AbortSignal, stream: boolean): Promise<Routed | { failure: Failure }> {
    const attempts = this.config.settings.numRetries + 1;
    const tried = new Set<string>();
    let failure: Failure | undefined;
    let previous: Deployment | undefined;
    for (let attempt = 0; attempt < attempts; attempt++) {
      const deployment = this.choose(model, tried);
      if (previous !== undefined && failure !== undefined && deployment.id === previous.id) {
        const wait = this.backoff(attempt, failure);
        if (wait === undefined) break;
        await sleep(wait, clientSignal);
      }
      if (clientSignal.aborted) throw new ClientGone();
      if (attempt > 0) this.onEvent({ type: 'retry', model: model.name });
      tried.add(deployment.id);
      previous = deployment;
      const outcome = await this.attempt(model, deployment, endpoint, body, clientSignal, stream);
      if ('response' in outcome) return outcome;
      failure = outcome.failure;
      if (failure.kind !== 'request') this.onEvent({ type: 'failure', deployment: deployment.id, kind: failure.kind === 'status' ? String(failure.status) : failure.kind });
      if (!isRetryable(failure)) break;
    }
    return { failure: failure! };
  }

  /**
   * One call to one deployment, with the timeout: connect and first byte for streams (their body has its
   * own idle timeout), the whole answer otherwise — one timer either way.
   */
  private async attempt(model: ModelEntry, deployment: Deployment, endpoint: Endpoint, body: Record<string, unknown>, clientSignal: AbortSignal, stream: boolean): Promise<Routed | { failure: Failure }> {
    const timeoutMs = deployment.timeoutMs ?? this.config.settings.timeoutMs;
    const provider = providerFor(deployment, endpoint);
    let prepared: unknown;
    try {
      // The body is the caller's own copy: set the upstream model in place rather than copying it per attempt.
      body.model = deployment.upstreamModel;
      prepared = provider.prepare({ endpoint, deployment, body });
    } catch (err) {
      // Not the deployment's fault: nothing was sent, nothing is retried or counted against it.
      return { failure: { kind: 'request', message: (err as Error).message || String(err) } };
    }
    const controller = new AbortController();
    const onClientAbort = () => controller.abort(new ClientGone());
    clientSignal.addEventListener('abort', onClientAbort, { once: true });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort(new Error('timeout'));
    }, timeoutMs);
    this.health.start(deployment);
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      clearTimeout(timer);
      clientSignal.removeEventListener('abort', onClientAbort);
      this.health.finish(deployment);
    };
    try {
      const response = await provider.send(prepared, controller.signal);
      if (response.ok) {
        if (stream) clearTimeout(timer);
        this.health.succeeded(deployment);
        return { response, model, deployment, timeoutMs, release, abort: (reason) => controller.abort(reason), timedOut: () => timedOut };
      }
      clearTimeout(timer);
      const failure: Failure = { kind: 'status', status: response.status, body: await response.text().catch(() => ''), headers: response.headers, retryable: provider.retryable?.(response.status) };
      if (isRetryable(failure)) this.health.failed(deployment);
      release();
      return { failure };
    } catch (err) {
      release();
      if (clientSignal.aborted) throw new ClientGone();
      this.health.failed(deployment);
      if (timedOut) return { failure: { kind: 'timeout', timeoutMs } };
      return { failure: { kind: 'connect', message: (err as Error).message || String(err) } };
    }
  }

  /** Picks a deployment: untried and not cooling down if possible, by the routing strategy. */
  choose(model: ModelEntry, tried: ReadonlySet<string> = new Set()): Deployment {
    const all = model.deployments;
    if (all.length === 1) return all[0]!;
    const healthy = all.filter((d) => !this.health.coolingDown(d));
    const fresh = healthy.filter((d) => !tried.has(d.id));
    const pool = fresh.length > 0 ? fresh : healthy.length > 0 ? healthy : all;
    if (pool.length === 1) return pool[0]!;
    if (this.config.settings.routingStrategy === 'least-busy') {
      const min = Math.min(...pool.map((d) => this.health.busy(d)));
      const least = pool.filter((d) => this.health.busy(d) === min);
      return least[Math.floor(Math.random() * least.length)]!;
    }
    let r = Math.random() * pool.reduce((s, d) => s + d.weight, 0);
    for (const d of pool) {
      r -= d.weight;
      if (r < 0) return d;
    }
    return pool[pool.length - 1]!;
  }

  /** Delay before retrying the same deployment; undefined when its Retry-After is too long to wait. */
  private backoff(attempt: number, failure: Failure): number | undefined {
    if (failure.kind === 'status') {
      const after = retryAfterMs(failure.headers);
      if (after !== undefined) return after <= MAX_RETRY_AFTER_MS ? after : undefined;
    }
    const base = Math.min(this.backoffBaseMs * 2 ** (attempt - 1), MAX_BACKOFF_MS);
    return base * (0.5 + Math.random() * 0.5);
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

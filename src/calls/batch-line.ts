/**
 * One batch line, run on a worker thread: the same routing, provider, metering and error mapping as a
 * live call (src/calls/model-calls.ts), over the chain of models the runner allowed for the batch's key.
 * Admission (rights, exclusions) happens on the main thread, where the key cache lives; batch lines do
 * not count against live rate limits. The usage record is built by the runner when the result arrives.
 */
import { ENDPOINTS } from '../config/endpoints';
import type { ModelEntry, RouterConfig } from '../config/router-config';
import { modelNotFound, Refusal } from '../domain/refusal';
import type { Logger } from '../log';
import { ClientGone, UpstreamExhausted, type UpstreamRouter } from '../upstream/router';
import { tokensOf, usageInJson } from '../upstream/usage-tokens';
import type { BatchJob, JobResult } from './batch-jobs';
import { takeUserId } from './call-body';
import { statusOf } from './refusal-status';
import type { Secrets } from './secrets';
import { failureToRefusal } from './upstream-refusal';

export interface LineContext {
  config: RouterConfig;
  upstream: UpstreamRouter;
  secrets: Secrets;
  log: Logger;
}

export async function runBatchLine(job: BatchJob, c: LineContext, signal: AbortSignal): Promise<JobResult> {
  const started = performance.now();
  const body = JSON.parse(job.body) as Record<string, unknown>;
  const endUserId = takeUserId(body);
  const requestId = job.id;
  const base = { id: job.id, deployment: null as string | null, model: job.model, inputTokens: 0, outputTokens: 0, endUserId };
  const latencyMs = () => Math.round(performance.now() - started);
  try {
    const chain = job.chain.map((name) => c.config.models.get(name)).filter((m): m is ModelEntry => m !== undefined);
    if (chain[0]?.name !== job.model) throw modelNotFound(job.model);
    let routed;
    try {
      routed = await c.upstream.send(chain, ENDPOINTS[job.endpoint], body, signal);
    } catch (err) {
      if (err instanceof ClientGone) throw new Refusal('client_gone', 'The line was stopped.', { code: 'client_closed' });
      if (err instanceof UpstreamExhausted) throw failureToRefusal(err.failure, { model: err.model, requestId, secrets: c.secrets, log: c.log });
      throw err;
    }
    try {
      const text = await routed.response.text();
      const tokens = tokensOf(usageInJson(text));
      return { ...base, ok: true, status: 200, text, deployment: routed.deployment.id, model: routed.model.name, latencyMs: latencyMs(), inputTokens: tokens?.input ?? 0, outputTokens: tokens?.output ?? 0 };
    } finally {
      routed.release();
    }
  } catch (err) {
    const r = err instanceof Refusal ? err : new Refusal('upstream_failed', `The call to model ${job.model} failed (line ${job.id}).`, { type: 'upstream_error', code: 'upstream_error' });
    if (!(err instanceof Refusal)) c.log.warn('batch line failed', { line: job.id, error: err as Error });
    const error = { message: r.message, type: r.type ?? (statusOf(r) >= 500 ? 'upstream_error' : 'invalid_request_error'), param: r.param, code: r.code };
    return { ...base, ok: false, status: statusOf(r), text: JSON.stringify({ error }), latencyMs: latencyMs(), errorCode: r.code };
  }
}

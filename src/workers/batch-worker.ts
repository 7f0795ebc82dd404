/**
 * A batch worker thread: runs batch lines through the same routing as live calls (deployments, retries with
 * backoff, cooldowns, fallbacks) and reports each outcome to the runner on the main thread.
 * Messages in: {init: {routerYaml, env}}, {job: BatchJob}, {abort: jobId}. Out: JobResult.
 */
import { parseRouterConfig, type RouterConfig } from '../config/router-config';
import type { BatchJob, JobResult } from '../domain/batches/jobs';
import { ApiError } from '../http/api-error';
import { ENDPOINTS } from '../upstream/endpoints';
import { UpstreamRouter } from '../upstream/router';
import { tokensOf, usageInJson } from '../upstream/usage-tokens';

declare const self: Worker;

let config: RouterConfig | undefined;
let upstream: UpstreamRouter | undefined;
const running = new Map<string, AbortController>();

async function run(job: BatchJob): Promise<JobResult> {
  const started = performance.now();
  const controller = new AbortController();
  running.set(job.id, controller);
  const base = { id: job.id, latencyMs: 0, deployment: null as string | null, model: job.model, inputTokens: 0, outputTokens: 0 };
  try {
    const model = config?.models.get(job.model);
    if (!model || !upstream) throw new ApiError(404, `The model \`${job.model}\` is no longer configured.`, { code: 'model_not_found', param: 'model' });
    const routed = await upstream.send(model, ENDPOINTS[job.endpoint], JSON.parse(job.body) as Record<string, unknown>, controller.signal);
    try {
      const text = await routed.response.text();
      const tokens = tokensOf(usageInJson(text));
      return { ...base, ok: true, status: 200, text, deployment: routed.deployment.id, model: routed.model.name, latencyMs: Math.round(performance.now() - started), inputTokens: tokens?.input ?? 0, outputTokens: tokens?.output ?? 0 };
    } finally {
      routed.release();
    }
  } catch (err) {
    const e = err instanceof ApiError ? err : new ApiError(502, `The upstream failed: ${(err as Error).message}`, { code: 'upstream_error' });
    return { ...base, ok: false, status: e.status, text: JSON.stringify(e.toBody()), latencyMs: Math.round(performance.now() - started), errorCode: e.code };
  } finally {
    running.delete(job.id);
  }
}

self.onmessage = (event: MessageEvent<{ init?: { routerYaml: string; env: Record<string, string | undefined>; backoffBaseMs?: number }; job?: BatchJob; abort?: string }>) => {
  const m = event.data;
  if (m.init) {
    config = parseRouterConfig(m.init.routerYaml, m.init.env).config;
    upstream = new UpstreamRouter(config);
    if (m.init.backoffBaseMs !== undefined) upstream.backoffBaseMs = m.init.backoffBaseMs;
  }
  if (m.job) void run(m.job).then((r) => self.postMessage(r));
  if (m.abort) running.get(m.abort)?.abort();
};

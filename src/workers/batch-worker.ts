/**
 * A batch worker thread: runs batch lines through the model-call pipeline's line runner
 * (src/calls/batch-line.ts) and reports each outcome to the runner on the main thread.
 * Messages in: {init: {routerYaml, env}}, {job: BatchJob}, {abort: jobId}. Out: JobResult.
 */
import type { BatchJob } from '../calls/batch-jobs';
import { runBatchLine, type LineContext } from '../calls/batch-line';
import { Secrets } from '../calls/secrets';
import { parseRouterConfig } from '../config/router-config';
import { createLogger } from '../log';
import { UpstreamRouter } from '../upstream/router';

declare const self: Worker;

let context: LineContext | undefined;
const running = new Map<string, AbortController>();

self.onmessage = (event: MessageEvent<{ init?: { routerYaml: string; env: Record<string, string | undefined>; backoffBaseMs?: number; logLevel?: 'debug' | 'info' | 'warn' | 'error' }; job?: BatchJob; abort?: string }>) => {
  const m = event.data;
  if (m.init) {
    const config = parseRouterConfig(m.init.routerYaml, m.init.env).config;
    const upstream = new UpstreamRouter(config);
    if (m.init.backoffBaseMs !== undefined) upstream.backoffBaseMs = m.init.backoffBaseMs;
    context = { config, upstream, secrets: Secrets.of(config), log: createLogger(m.init.logLevel ?? 'info') };
  }
  if (m.job) {
    const job = m.job;
    const controller = new AbortController();
    running.set(job.id, controller);
    const ctx = context;
    const result = ctx
      ? runBatchLine(job, ctx, controller.signal)
      : Promise.resolve({ id: job.id, ok: false, status: 503, text: '{"error":{"message":"The batch worker is not ready.","type":"server_error","param":null,"code":"worker_not_ready"}}', deployment: null, model: job.model, latencyMs: 0, inputTokens: 0, outputTokens: 0, endUserId: '' });
    void result.then((r) => {
      running.delete(job.id);
      self.postMessage(r);
    });
  }
  if (m.abort) running.get(m.abort)?.abort();
};

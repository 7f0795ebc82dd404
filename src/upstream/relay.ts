/**
 * The relay: one call from a client to a model endpoint. Resolves the model (aliases, modes), forwards
 * the body with every field intact except `model` (and Aqueduct's `user_id`, which is recorded instead),
 * answers with the upstream's JSON, SSE stream or audio as it arrives, and records usage once per call.
 */
import type { RouterConfig } from '../config/router-config';
import { admit, type Admitted } from '../domain/admission';
import type { Principal } from '../domain/key-cache';
import type { RateLimiter } from '../domain/rate-limiter';
import type { UsageRecord, UsageSink } from '../domain/usage';
import { ApiError } from '../http/api-error';
import { noAccessLog, type AccessLine, type AccessLog } from '../http/access-log';
import type { Logger } from '../log';
import type { Endpoint } from './endpoints';
import { ClientGone, UpstreamRouter, type Routed } from './router';
import { failureToApiError } from './upstream-error';
import { completionAsSse } from './json-as-sse';
import { relaySse } from './sse-relay';
import { tokensOf, usageInJson } from './usage-tokens';

export interface RelayCall {
  endpoint: Endpoint;
  body: Record<string, unknown>;
  principal: Principal;
  requestId: string;
  /** Aborts when the client disconnects. */
  signal: AbortSignal;
  /** Headers the answer must carry (request id, CORS). */
  headers?: Record<string, string>;
}

/** Response headers of the upstream that are worth passing on. */
const PASSED_HEADERS = ['content-type', 'openai-processing-ms'];

export class Relay {
  constructor(
    private config: RouterConfig,
    public upstream: UpstreamRouter,
    private readonly limiter: RateLimiter,
    private readonly usage: UsageSink,
    private readonly log: Logger,
    private readonly access: AccessLog = noAccessLog,
  ) {}

  /**
   * Switches to a new router config (SIGHUP). Calls in flight finish on the router they started with;
   * the new one starts with fresh deployment health.
   */
  reconfigure(config: RouterConfig): void {
    const next = new UpstreamRouter(config);
    next.onEvent = this.upstream.onEvent;
    next.backoffBaseMs = this.upstream.backoffBaseMs;
    this.config = config;
    this.upstream = next;
  }

  async handle(call: RelayCall): Promise<Response> {
    const startedAt = performance.now();
    const { endpoint, body } = call;
    const requested = String(body.model);
    const endUserId = takeUserId(body);
    const stream = endpoint.sseUsage && body.stream === true;
    const logAccess = (line: Omit<AccessLine, 'request_id' | 'method' | 'path' | 'key'>) =>
      this.access({
        request_id: call.requestId,
        method: 'POST',
        path: endpoint.v1Path,
        key: call.principal.keyPreview,
        status: line.status,
        latency_ms: line.latency_ms,
        model: line.model,
        input_tokens: line.input_tokens,
        output_tokens: line.output_tokens,
        stream: line.stream,
        ttft_ms: line.ttft_ms,
        refused: line.refused,
      });
    // Fields are listed rather than spread: this runs once per call on the hot path.
    const record = (r: Partial<UsageRecord> & { status: number }) => {
      const inputTokens = r.inputTokens ?? 0;
      const outputTokens = r.outputTokens ?? 0;
      if (inputTokens || outputTokens) this.limiter.addTokens(call.principal.keyId, inputTokens, outputTokens);
      const latencyMs = Math.round(performance.now() - startedAt);
      const model = r.model ?? requested;
      const ttftMs = r.ttftMs ?? null;
      logAccess({ status: r.status, latency_ms: latencyMs, model, input_tokens: inputTokens, output_tokens: outputTokens, stream, ttft_ms: ttftMs });
      this.usage.record({
        createdAt: Date.now(),
        requestId: call.requestId,
        keyId: call.principal.keyId,
        userId: call.principal.userId,
        orgId: call.principal.orgId,
        teamId: call.principal.teamId,
        model,
        deployment: r.deployment ?? null,
        endpoint: endpoint.name,
        status: r.status,
        latencyMs,
        ttftMs,
        inputTokens,
        outputTokens,
        endUserId,
        stream,
        errorCode: r.errorCode ?? null,
      });
    };

    let admitted: Admitted;
    try {
      admitted = await admit(this.config, this.limiter, call.principal, endpoint, requested);
    } catch (err) {
      // Refusals by the rate limiter are not calls and cost nothing; unknown models and the like are recorded.
      if (err instanceof ApiError && err.status !== 429) record({ status: err.status, errorCode: err.code });
      else if (err instanceof ApiError) logAccess({ status: 429, latency_ms: 0, model: requested, refused: 'rate_limit' });
      throw err;
    }
    const { model, rateHeaders } = admitted;

    const clientWantsUsage = stream && (body.stream_options as { include_usage?: unknown } | undefined)?.include_usage === true;
    // Always ask for usage on streams so the call can be metered; the extra chunk is dropped below if unasked.
    if (stream) body.stream_options = { ...(body.stream_options as object | undefined), include_usage: true };

    let routed: Routed;
    try {
      routed = await this.upstream.send(model, endpoint, body, call.signal, stream || endpoint.name === 'speech');
    } catch (err) {
      record({ model: model.name, status: err instanceof ApiError ? err.status : 500, errorCode: err instanceof ApiError ? err.code : 'internal_error' });
      if (err instanceof ApiError) Object.assign(err.headers, rateHeaders);
      throw err;
    }
    // With a fallback, the model that answered is the one that was used (and billed).
    const base = { model: routed.model.name, deployment: routed.deployment.id };
    const headers = responseHeaders(routed.response, call.requestId, call.headers, rateHeaders);

    if (stream) {
      let upstreamBody = routed.response.body!;
      if (isJsonAnswer(routed.response)) {
        // A server that ignored `stream: true`: its JSON answer becomes the stream the client asked for.
        const converted = await this.jsonAsStream(routed, endpoint, call.signal).catch((err: unknown) => {
          routed.release();
          const e = err instanceof ApiError ? err : new ApiError(502, `The upstream for model ${model.name} failed while sending its answer.`, { type: 'upstream_error', code: 'upstream_error' });
          record({ ...base, status: e.status, errorCode: e.code });
          throw e;
        });
        upstreamBody = new Response(converted).body!;
      }
      headers['content-type'] = 'text/event-stream; charset=utf-8';
      headers['cache-control'] = 'no-cache';
      headers['x-accel-buffering'] = 'no';
      const sse = relaySse({
        body: upstreamBody,
        forwardUsageChunk: clientWantsUsage,
        idleTimeoutMs: routed.timeoutMs,
        startedAt,
        abortUpstream: (reason) => routed.abort(reason),
        onEnd: (o) => {
          routed.release();
          record({ ...base, status: o.status, ttftMs: o.ttftMs, inputTokens: o.tokens?.input ?? 0, outputTokens: o.tokens?.output ?? 0, errorCode: o.errorCode });
        },
      });
      return new Response(sse, { status: 200, headers });
    }

    if (endpoint.name === 'speech') return this.passBytes(routed, headers, (status, errorCode) => record({ ...base, status, errorCode }));

    // JSON: read it whole (still within the call's timeout), meter it, pass the bytes on unchanged.
    try {
      const bytes = await routed.response.arrayBuffer();
      const tokens = tokensOf(usageInJson(utf8.decode(bytes)));
      record({ ...base, status: 200, inputTokens: tokens?.input ?? 0, outputTokens: tokens?.output ?? 0 });
      return new Response(bytes, { status: 200, headers });
    } catch (err) {
      const gone = call.signal.aborted;
      const timedOut = routed.timedOut();
      record({ ...base, status: gone ? 499 : timedOut ? 504 : 502, errorCode: gone ? 'client_closed' : timedOut ? 'upstream_timeout' : 'upstream_body_failed' });
      if (gone) throw new ClientGone();
      if (timedOut) throw failureToApiError({ kind: 'timeout', timeoutMs: routed.timeoutMs }, model.name);
      this.log.warn('upstream body failed', { request_id: call.requestId, deployment: routed.deployment.id, error: (err as Error).message });
      throw new ApiError(502, `The upstream for model ${model.name} failed while sending its answer.`, { type: 'upstream_error', code: 'upstream_error' });
    } finally {
      routed.release();
    }
  }

  /**
   * Reads a JSON answer to a stream request (within the call's timeout) and turns it into SSE text.
   * Throws ClientGone, a 504, or a 502 when the answer is not a completion.
   */
  private async jsonAsStream(routed: Routed, endpoint: Endpoint, signal: AbortSignal): Promise<string> {
    let timer: Timer | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        routed.abort(new Error('timeout'));
        reject(failureToApiError({ kind: 'timeout', timeoutMs: routed.timeoutMs }, routed.model.name));
      }, routed.timeoutMs);
    });
    let text: string;
    try {
      text = await Promise.race([routed.response.text(), timeout]);
    } catch (err) {
      if (signal.aborted) throw new ClientGone();
      throw err;
    } finally {
      clearTimeout(timer);
    }
    const sse = completionAsSse(text, endpoint.name === 'chat' ? 'chat' : 'completions');
    if (sse === undefined) {
      throw new ApiError(502, `The upstream for model ${routed.model.name} answered a stream request with JSON that is not a completion.`, { type: 'upstream_error', code: 'upstream_error' });
    }
    return sse;
  }

  /** Binary answers (speech) stream through as they arrive, with the upstream's content type. */
  private passBytes(routed: Routed, headers: Record<string, string>, done: (status: number, errorCode: string | null) => void): Response {
    const reader = routed.response.body!.getReader();
    let finished = false;
    const finish = (status: number, code: string | null) => {
      if (finished) return;
      finished = true;
      routed.release();
      done(status, code);
    };
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        try {
          const { done: end, value } = await reader.read();
          if (end) {
            finish(200, null);
            controller.close();
          } else controller.enqueue(value);
        } catch (err) {
          finish(502, 'stream_interrupted');
          controller.error(err);
        }
      },
      cancel(reason) {
        routed.abort(reason);
        finish(499, 'client_closed');
      },
    });
    return new Response(body, { status: 200, headers });
  }
}

/** Removes Aqueduct's `user_id` body field (never forwarded) and returns it as a string. */
function takeUserId(body: Record<string, unknown>): string {
  if (!('user_id' in body)) return '';
  const v = body.user_id;
  delete body.user_id;
  return v === null || v === undefined ? '' : (typeof v === 'string' ? v : JSON.stringify(v)).slice(0, 256);
}

const utf8 = new TextDecoder();

/** An answer whose content type says JSON (rather than the text/event-stream a stream request expects). */
function isJsonAnswer(response: Response): boolean {
  const type = response.headers.get('content-type') ?? '';
  return type.startsWith('application/json') || /^[^;]*\+json/.test(type);
}

function responseHeaders(upstream: Response, requestId: string, base: Record<string, string> | undefined, rate: Record<string, string>): Record<string, string> {
  const h: Record<string, string> = {};
  for (const k in base) h[k] = base[k]!;
  for (const k in rate) h[k] = rate[k]!;
  h['x-request-id'] = requestId;
  for (const name of PASSED_HEADERS) {
    const v = upstream.headers.get(name);
    if (v !== null) h[name] = v;
  }
  const upstreamId = upstream.headers.get('x-request-id');
  if (upstreamId !== null) h['x-upstream-request-id'] = upstreamId;
  return h;
}


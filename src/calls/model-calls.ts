/**
 * One live model call, end to end: admit (the key's model access and rate limits) → route over the model
 * and the fallbacks this caller may use → send through the provider → meter the tokens → record usage →
 * emit the access/metrics event. Bodies pass through untouched but for `model` (the deployment's upstream
 * model) and Aqueduct's `user_id` (recorded, never forwarded). Answers are JSON, an SSE stream or audio
 * bytes, relayed as they arrive. Batch lines use the same pieces (src/calls/batch-line.ts).
 *
 * It throws domain Refusals; the HTTP edge (src/routes/inference-lane.ts) turns them into OpenAI errors.
 */
import type { Endpoint } from '../config/endpoints';
import type { ModelEntry, RouterConfig } from '../config/router-config';
import { noAccessLog, type AccessLine, type AccessLog } from '../domain/access-line';
import { admit, usableModel, type Admitted } from '../domain/admission';
import type { Principal } from '../domain/key-cache';
import type { RateLimiter } from '../domain/rate-limiter';
import { clientGone, Refusal, type RateState } from '../domain/refusal';
import type { UsageSink } from '../domain/usage';
import type { Logger } from '../log';
import { relayBytes } from '../upstream/byte-relay';
import { completionAsSse, responseAsSse } from '../upstream/json-as-sse';
import { ClientGone, UpstreamExhausted, UpstreamRouter, type DeploymentState, type Routed } from '../upstream/router';
import { relaySse } from '../upstream/sse-relay';
import { audioSecondsIn, tokensOf, usageInJson } from '../upstream/usage-tokens';
import { takeUserId } from './call-body';
import type { Secrets } from './secrets';
import { statusOf } from './refusal-status';
import { failureToRefusal } from './upstream-refusal';
import { usageRecord, type CallFacts } from './usage-record';
import { translatedObject } from '../upstream/responses/translated';
import { keepResponse, prepareResponse, type NativeTarget, type PreparedResponse, type ResponsesContext } from './responses';

export interface LiveCall {
  endpoint: Endpoint;
  body: Record<string, unknown>;
  principal: Principal;
  requestId: string;
  /** Aborts when the client disconnects. */
  signal: AbortSignal;
  /** For /responses: the store, mcp.json and the gateway's own origins (src/calls/responses.ts). */
  responses?: ResponsesContext;
  /** Audio calls (multipart): what the upload itself tells, read when the answer is metered. */
  audio?: AudioFacts;
  /** The path the access line names, when the call came in under another API's (e.g. /v1/messages); default the endpoint's. */
  accessPath?: string;
}

/** What the edge knows of an audio upload once it has been sent (the form may end after the call starts). */
export interface AudioFacts {
  /** The `response_format` field, if sent. */
  responseFormat(): string | undefined;
  /** Seconds of audio when the file is a WAV (the fallback unit when the upstream reports no usage). */
  seconds(): number | undefined;
}

/** A call's answer, for the edge to send: the body as it arrives, and what the client should know. */
export interface CallAnswer {
  body: ReadableStream<Uint8Array> | ArrayBuffer;
  /** Upstream response headers worth passing on (content type, processing time, upstream request id). */
  passed: Record<string, string>;
  /** The caller's rate-limit budgets after admission. */
  rate: RateState;
  stream: boolean;
}

/** What the console's Deployments page shows (upstream/ is not the console's to import). */
export type { DeploymentState };

/** Response headers of the upstream that are worth passing on. */
const PASSED_HEADERS = ['content-type', 'openai-processing-ms'];

export class ModelCalls {
  constructor(
    private config: RouterConfig,
    public upstream: UpstreamRouter,
    private readonly limiter: RateLimiter,
    private readonly usage: UsageSink,
    private readonly log: Logger,
    private secrets: Secrets,
    private readonly access: AccessLog = noAccessLog,
    /** A streamed answer whose client reads nothing this long is ended (AQUEDUCT_CLIENT_IDLE_TIMEOUT). */
    private readonly clientIdleTimeoutMs = 120_000,
  ) {}

  /**
   * Switches to a new router config (SIGHUP). Calls in flight finish on the router they started with;
   * the new one starts with fresh deployment health.
   */
  reconfigure(config: RouterConfig, secrets: Secrets): void {
    const next = new UpstreamRouter(config);
    next.onEvent = this.upstream.onEvent;
    next.backoffBaseMs = this.upstream.backoffBaseMs;
    this.config = config;
    this.upstream = next;
    this.secrets = secrets;
  }

  /** The model a caller may use for this endpoint under this name (no call, no limits); refusals as for a call. */
  modelFor(principal: Principal, endpoint: Endpoint, name: string): ModelEntry {
    return usableModel(this.config, principal, endpoint, name);
  }

  /** Where native responses live: a deployment of the current config by id, and its timeout. */
  nativeTarget(): NativeTarget {
    const config = this.config;
    return {
      deployment: (id) => config.models.get(id.slice(0, id.lastIndexOf('#')))?.deployments.find((d) => d.id === id),
      timeoutMs: (d) => d.timeoutMs ?? config.settings.timeoutMs,
    };
  }

  /** The live state of the current router's deployments (after a reload: the new router's, fresh). */
  deployments(): DeploymentState[] {
    return this.upstream.deploymentStates();
  }

  async live(call: LiveCall): Promise<CallAnswer> {
    const startedAt = performance.now();
    const { endpoint, body, principal } = call;
    const requested = String(body.model);
    const endUserId = takeUserId(body);
    let stream = endpoint.sseUsage && body.stream === true;
    const event = (line: Omit<AccessLine, 'request_id' | 'method' | 'path' | 'key'>) =>
      this.access({
        request_id: call.requestId,
        method: 'POST',
        path: call.accessPath ?? endpoint.v1Path,
        key: principal.keyPreview,
        status: line.status,
        latency_ms: line.latency_ms,
        model: line.model,
        input_tokens: line.input_tokens,
        output_tokens: line.output_tokens,
        stream: line.stream,
        ttft_ms: line.ttft_ms,
        refused: line.refused,
      });
    /** Meters, records and reports the call once it has ended (for streams: when the stream ends). */
    const finish = (r: Pick<CallFacts, 'status' | 'model' | 'deployment' | 'ttftMs' | 'inputTokens' | 'outputTokens' | 'errorCode' | 'audioSeconds'>) => {
      const inputTokens = r.inputTokens ?? 0;
      const outputTokens = r.outputTokens ?? 0;
      if (inputTokens || outputTokens) this.limiter.addTokens(principal.keyId, inputTokens, outputTokens, principal.pools);
      const latencyMs = Math.round(performance.now() - startedAt);
      const ttftMs = r.ttftMs ?? null;
      event({ status: r.status, latency_ms: latencyMs, model: r.model, input_tokens: inputTokens, output_tokens: outputTokens, stream, ttft_ms: ttftMs });
      this.usage.record(
        usageRecord(principal, {
          requestId: call.requestId,
          endpoint: endpoint.name,
          model: r.model,
          deployment: r.deployment,
          status: r.status,
          latencyMs,
          ttftMs,
          inputTokens,
          outputTokens,
          endUserId,
          stream,
          errorCode: r.errorCode,
          audioSeconds: r.audioSeconds ?? (endpoint.multipart ? call.audio?.seconds() : undefined),
        }),
      );
    };
    const failed = (model: string, err: unknown, deployment: string | null = null): Refusal => {
      const refusal = this.refusalOf(err, model, call.requestId);
      finish({ model, deployment, status: statusOf(refusal), errorCode: refusal.code });
      return refusal;
    };

    let admitted: Admitted;
    try {
      admitted = await admit(this.config, this.limiter, principal, endpoint, requested);
    } catch (err) {
      // Refusals by the rate limiter (over a limit, or limits that cannot be checked while the shared store is
      // down) are not calls and cost nothing; unknown models and the like are recorded.
      if (err instanceof Refusal && err.kind === 'rate_limited') event({ status: 429, latency_ms: 0, model: requested, refused: 'rate_limit' });
      else if (err instanceof Refusal && err.kind === 'unavailable') event({ status: 503, latency_ms: 0, model: requested, refused: 'rate_limits_unavailable' });
      else throw failed(requested, err);
      throw err;
    }
    const { model, chain, rate } = admitted;

    const responses = endpoint.name === 'responses' ? call.responses : undefined;
    let prepared: PreparedResponse | undefined;
    if (responses !== undefined) {
      try {
        prepared = await prepareResponse(body, principal, responses);
      } catch (err) {
        const refusal = failed(model.name, err);
        refusal.rate = rate;
        throw refusal;
      }
    }
    const clientWantsUsage = stream && (body.stream_options as { include_usage?: unknown } | undefined)?.include_usage === true;
    // Always ask for usage on chat streams so the call can be metered; the extra chunk is dropped below if unasked.
    // (A Responses stream always ends with its usage.)
    if (stream && endpoint.name !== 'responses') body.stream_options = { ...(body.stream_options as object | undefined), include_usage: true };

    let routed: Routed;
    try {
      // An audio call's timer covers the whole answer unless the caller asked for a stream before the file.
      routed = await this.upstream.send(chain, endpoint, body, call.signal, stream || endpoint.name === 'speech' || (endpoint.multipart === true && body.stream === true));
    } catch (err) {
      const refusal = failed(err instanceof UpstreamExhausted ? err.model : model.name, err);
      refusal.rate = rate;
      throw refusal;
    }
    // With a fallback, the model that answered is the one that was used (and billed).
    const base = { model: routed.model.name, deployment: routed.deployment.id };
    const passed = passedHeaders(routed.response);
    const keep = (response: Record<string, unknown>) => {
      if (responses === undefined || prepared === undefined) return;
      try {
        keepResponse(body, principal, responses, prepared, routed.deployment, routed.model.name, response);
      } catch (err) {
        this.log.error('could not keep a response', { request_id: call.requestId, error: err as Error });
      }
    };

    if (stream) {
      let upstreamBody = routed.response.body!;
      if (isJsonAnswer(routed.response)) {
        // A server that ignored `stream: true`: its JSON answer becomes the stream the client asked for.
        try {
          upstreamBody = new Response(await this.jsonAsStream(routed, endpoint, call.signal, call.requestId)).body!;
        } catch (err) {
          routed.release();
          throw failed(base.model, err, base.deployment);
        }
      }
      passed['content-type'] = 'text/event-stream; charset=utf-8';
      const sse = relaySse({
        body: upstreamBody,
        forwardUsageChunk: clientWantsUsage,
        idleTimeoutMs: routed.timeoutMs,
        clientIdleTimeoutMs: this.clientIdleTimeoutMs,
        startedAt,
        abortUpstream: (reason) => routed.abort(reason),
        onEnd: (o) => {
          routed.release();
          finish({ ...base, status: o.status, ttftMs: o.ttftMs, inputTokens: o.tokens?.input ?? 0, outputTokens: o.tokens?.output ?? 0, errorCode: o.errorCode });
        },
        ...(responses !== undefined
          ? {
              format: 'responses' as const,
              // Native: the id is the caller's from its first event (retrieve works while it streams); translated: once complete.
              onResponse: (response: Record<string, unknown>, at: 'created' | 'final') => {
                if ((at === 'created') === (routed.deployment.responsesApi === 'native')) keep(response);
              },
            }
          : {}),
      });
      return { body: sse, passed, rate, stream: true };
    }

    if (endpoint.multipart && isEventStream(routed.response)) {
      // A transcription stream: transcript.text.delta events, then transcript.text.done (with the usage), no [DONE].
      stream = true;
      passed['content-type'] = 'text/event-stream; charset=utf-8';
      const sse = relaySse({
        body: routed.response.body!,
        forwardUsageChunk: true,
        idleTimeoutMs: routed.timeoutMs,
        clientIdleTimeoutMs: this.clientIdleTimeoutMs,
        startedAt,
        finalEvent: TRANSCRIPT_DONE,
        abortUpstream: (reason) => routed.abort(reason),
        onEnd: (o) => {
          routed.release();
          finish({ ...base, status: o.status, ttftMs: o.ttftMs, inputTokens: o.tokens?.input ?? 0, outputTokens: o.tokens?.output ?? 0, errorCode: o.errorCode });
        },
      });
      return { body: sse, passed, rate, stream: true };
    }

    if (endpoint.name === 'speech') {
      // Audio streams through as it arrives, with the upstream's content type and the same idle timeout.
      const bytes = relayBytes({
        body: routed.response.body!,
        idleTimeoutMs: routed.timeoutMs,
        clientIdleTimeoutMs: this.clientIdleTimeoutMs,
        abortUpstream: (reason) => routed.abort(reason),
        onEnd: (o) => {
          routed.release();
          finish({ ...base, status: o.status, errorCode: o.errorCode });
        },
      });
      return { body: bytes, passed, rate, stream: false };
    }

    // JSON: read it whole (still within the call's timeout), meter it, pass the bytes on unchanged.
    try {
      const bytes = await routed.response.arrayBuffer();
      const text = utf8.decode(bytes);
      const usage = usageInJson(text);
      const tokens = tokensOf(usage);
      let audioSeconds: number | undefined;
      if (endpoint.multipart) {
        audioSeconds = audioSecondsIn(usage, text);
        // Text formats are the transcript itself (Aqueduct: text/plain, whatever the upstream said).
        if (TEXT_FORMATS.has(call.audio?.responseFormat() ?? '')) passed['content-type'] = 'text/plain; charset=utf-8';
      }
      if (responses !== undefined) keep(translatedObject(routed.response) ?? parseObject(text));
      finish({ ...base, status: 200, inputTokens: tokens?.input ?? 0, outputTokens: tokens?.output ?? 0, audioSeconds });
      return { body: bytes, passed, rate, stream: false };
    } catch (err) {
      const gone = call.signal.aborted;
      const timedOut = routed.timedOut();
      if (!gone && !timedOut) this.log.warn('upstream body failed', { request_id: call.requestId, deployment: routed.deployment.id, error: (err as Error).message });
      const refusal = gone
        ? clientGone()
        : timedOut
          ? failureToRefusal({ kind: 'timeout', timeoutMs: routed.timeoutMs }, this.context(model.name, call.requestId))
          : new Refusal('upstream_failed', `The upstream for model ${model.name} failed while sending its answer (request ${call.requestId}).`, { type: 'upstream_error', code: 'upstream_error' });
      throw failed(model.name, refusal, routed.deployment.id);
    } finally {
      routed.release();
    }
  }

  private context(model: string, requestId: string) {
    return { model, requestId, secrets: this.secrets, log: this.log };
  }

  /** Any failure of a call as the refusal the caller gets (upstream failures sanitized). */
  private refusalOf(err: unknown, model: string, requestId: string): Refusal {
    if (err instanceof Refusal) return err;
    if (err instanceof ClientGone) return clientGone();
    if (err instanceof UpstreamExhausted) return failureToRefusal(err.failure, this.context(err.model, requestId));
    this.log.error('model call failed', { request_id: requestId, model, error: err as Error });
    return new Refusal('upstream_failed', `The call to model ${model} failed (request ${requestId}).`, { type: 'upstream_error', code: 'internal_error' });
  }

  /**
   * Reads a JSON answer to a stream request (within the call's timeout) and turns it into SSE text.
   * Throws ClientGone, a timeout, or a refusal when the answer is not a completion.
   */
  private async jsonAsStream(routed: Routed, endpoint: Endpoint, signal: AbortSignal, requestId: string): Promise<string> {
    let timer: Timer | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        routed.abort(new Error('timeout'));
        reject(failureToRefusal({ kind: 'timeout', timeoutMs: routed.timeoutMs }, this.context(routed.model.name, requestId)));
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
    const sse = endpoint.name === 'responses' ? responseAsSse(text) : completionAsSse(text, endpoint.name === 'chat' ? 'chat' : 'completions');
    if (sse === undefined) {
      throw new Refusal('upstream_failed', `The upstream for model ${routed.model.name} answered a stream request with JSON that is not a completion.`, { type: 'upstream_error', code: 'upstream_error' });
    }
    return sse;
  }
}

const utf8 = new TextDecoder();

/** The event that completes a transcription stream. */
const TRANSCRIPT_DONE = /"type"\s*:\s*"transcript\.text\.done"/;
/** Transcription formats answered as plain text. */
const TEXT_FORMATS = new Set(['text', 'srt', 'vtt']);

function isEventStream(response: Response): boolean {
  return (response.headers.get('content-type') ?? '').toLowerCase().startsWith('text/event-stream');
}

function parseObject(text: string): Record<string, unknown> {
  try {
    const v = JSON.parse(text) as unknown;
    return typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** An answer whose content type says JSON (rather than the text/event-stream a stream request expects). */
function isJsonAnswer(response: Response): boolean {
  const type = response.headers.get('content-type') ?? '';
  return type.startsWith('application/json') || /^[^;]*\+json/.test(type);
}

function passedHeaders(upstream: Response): Record<string, string> {
  const h: Record<string, string> = {};
  for (const name of PASSED_HEADERS) {
    const v = upstream.headers.get(name);
    if (v !== null) h[name] = v;
  }
  const upstreamId = upstream.headers.get('x-upstream-request-id') ?? upstream.headers.get('x-request-id');
  if (upstreamId !== null) h['x-upstream-request-id'] = upstreamId;
  return h;
}

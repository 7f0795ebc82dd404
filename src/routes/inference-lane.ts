/**
 * The request path of the model endpoints (POST /chat/completions, /completions, /embeddings,
 * /audio/speech, /images/generations, /responses, and the multipart /audio/transcriptions and
 * /audio/translations, whose upload is streamed to the upstream by http/audio-upload.ts; bare and under /v1).
 *
 * These routes carry nearly all of a gateway's traffic, so they do not go through Elysia's per-request
 * lifecycle (context, hook chains, response mapping: ~15% of the CPU of a relayed call). Instead one
 * function takes the same steps, with the same helpers the plugins use: request id, CORS headers, the
 * body limit, JSON parsing, the endpoint's TypeBox schema (compiled once), bearer auth, the relay, errors
 * in the OpenAI shape and an access line for every refusal. The listener hands these paths to Bun's own
 * router (`routes`); everything else, and `app.handle` in tests, reaches the same function through the
 * first onRequest hook. routes/inference.ts declares the routes for the API document.
 */
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler';
import type { TSchema } from '@sinclair/typebox';
import type { Server } from 'bun';
import { Elysia } from 'elysia';
import type { AppDeps } from '../app';
import type { Principal } from '../domain/key-cache';
import { errorResponse } from '../http/api-error';
import { asApiError, rateHeaders } from '../http/refusal-response';
import { principalFor } from '../http/auth';
import { jsonOrNothing, tooLarge } from '../http/body';
import { corsHeaders } from '../http/cors';
import { validationError } from '../http/errors';
import { nextRequestId, REQUEST_ID } from '../http/request-id';
import { pathOf } from '../http/url-path';
import { ENDPOINTS, type Endpoint, type EndpointName } from '../config/endpoints';
import { termsGate } from './terms-gate';
import { AUDIO_FORM, receiveAudioUpload, type AudioUpload } from '../http/audio-upload';
import type { CallAnswer } from '../calls/model-calls';

/**
 * The call body of an audio request: the fields the pipeline decides on (model, stream, user_id) as far as
 * they came before the file, and the form itself, which the provider streams to the upstream.
 */
function audioCallBody(fields: Map<string, string>, upload: AudioUpload): Record<string, unknown> {
  const body: Record<string | symbol, unknown> = { model: fields.get('model') };
  if (fields.get('stream') === 'true') body.stream = true;
  if (fields.has('user_id')) body.user_id = fields.get('user_id');
  body[AUDIO_FORM] = upload.form;
  return body as Record<string, unknown>;
}
import type { ResponsesContext } from '../calls/responses';

interface LaneRoute {
  endpoint: Endpoint;
  check: TypeCheck<TSchema>;
}

type Handler = (request: Request, server: Server<unknown> | null | undefined) => Promise<Response>;

export interface InferenceLane {
  /** Bun.serve `routes` for the exact paths. */
  routes: Record<string, { POST: Handler }>;
  /** Answers the request when it is a POST to a model endpoint (any path form); undefined otherwise. */
  intercept(request: Request, server: Server<unknown> | null | undefined): Promise<Response> | undefined;
  /** The handler of one endpoint, whatever the path it was reached by. */
  handler(name: EndpointName): Handler;
}

export function inferenceLane(deps: AppDeps, schemas: Record<EndpointName, TSchema>): InferenceLane {
  const byPath = new Map<string, LaneRoute>();
  for (const name of Object.keys(ENDPOINTS) as EndpointName[]) {
    const route = { endpoint: ENDPOINTS[name], check: TypeCompiler.Compile(schemas[name]) };
    for (const prefix of ['', '/v1']) {
      byPath.set(`${prefix}${route.endpoint.path}`, route);
      byPath.set(`${prefix}${route.endpoint.path}/`, route);
    }
  }
  const cors = corsHeaders(deps.settings.corsOrigins);
  const maxBytes = deps.settings.maxBodySize;
  const gate = termsGate(deps);
  const publicOrigin = deps.settings.publicUrl === undefined ? undefined : new URL(deps.settings.publicUrl).origin;
  /** What a /responses call needs from the edge: the store, mcp.json as now loaded, and where this gateway is reached. */
  const responsesContext = (request: Request): ResponsesContext => {
    const origin = new URL(request.url).origin;
    return {
      store: deps.responses,
      mcp: deps.mcp,
      allowExternalMcp: deps.settings.responsesAllowExternalMcp,
      gatewayOrigins: publicOrigin === undefined ? [origin] : [publicOrigin, origin],
    };
  };

  async function handle(request: Request, server: Server<unknown> | null | undefined, path: string, route: LaneRoute): Promise<Response> {
    const startedAt = performance.now();
    const requestId = nextRequestId();
    const headers: Record<string, string> = { [REQUEST_ID]: requestId };
    const corsFor = cors(request.headers.get('origin'));
    if (corsFor !== undefined) Object.assign(headers, corsFor);
    let principal: Principal | undefined;
    let relayed = false;
    let upload: AudioUpload | undefined;
    try {
      const length = request.headers.get('content-length');
      const multipart = route.endpoint.multipart === true;
      if (!multipart && length !== null && Number(length) > maxBytes) throw tooLarge(maxBytes);
      const found = principalFor(deps.keys, request.headers.get('authorization'));
      principal = found instanceof Promise ? await found : found; // a known key: no await (the hot path)
      gate(principal, request); // terms of service: before the body is read
      let body: Record<string, unknown>;
      if (multipart) {
        // Large uploads over slow links (a stalled one is ended by the upload idle timeout).
        server?.timeout(request, 0);
        upload = receiveAudioUpload(request, deps.files.tempPath(), deps.settings.maxAudioSize, deps.settings.uploadIdleTimeout);
        body = audioCallBody(await upload.ready, upload);
      } else {
        const json = await jsonOrNothing(request, request.headers.get('content-type') ?? '', maxBytes);
        if (!route.check.Check(json)) {
          const all = [...route.check.Errors(json)];
          throw validationError({ valueError: all[0], all });
        }
        body = json as Record<string, unknown>;
      }
      // Long first tokens and long streams must not be cut by the listener's idle timeout.
      server?.timeout(request, 0);
      relayed = true; // from here the model-call pipeline writes the access line (also for its refusals)
      let answer: CallAnswer;
      if (upload) {
        // An upload that fails once the call is under way (too large, cut, stalled) ends the call with its own error.
        const u = upload;
        const cancel = new AbortController();
        const onGone = () => cancel.abort();
        request.signal.addEventListener('abort', onGone, { once: true });
        if (request.signal.aborted) cancel.abort();
        const audio = { responseFormat: () => u.field('response_format'), seconds: () => u.wavSeconds() };
        const call = deps.calls.live({ endpoint: route.endpoint, body, principal, requestId, signal: cancel.signal, audio });
        try {
          answer = await Promise.race([call, u.failed]);
        } catch (err) {
          cancel.abort();
          call.catch(() => {});
          throw err;
        } finally {
          request.signal.removeEventListener('abort', onGone);
        }
      } else {
        answer = await deps.calls.live({
          endpoint: route.endpoint,
          body: body as Record<string, unknown>,
          principal,
          requestId,
          signal: request.signal,
          responses: route.endpoint.name === 'responses' ? responsesContext(request) : undefined,
        });
      }
      rateHeaders(answer.rate, headers);
      for (const k in answer.passed) headers[k] = answer.passed[k]!;
      if (answer.stream) {
        headers['cache-control'] = 'no-cache';
        headers['x-accel-buffering'] = 'no';
      }
      return new Response(answer.body, { status: 200, headers });
    } catch (err) {
      const apiError = asApiError(err);
      if (apiError.status === 500) deps.log.error('unhandled error', { request_id: requestId, path, error: err as Error });
      if (!relayed) {
        deps.access({ request_id: requestId, method: 'POST', path, status: apiError.status, latency_ms: Math.round((performance.now() - startedAt) * 10) / 10, key: principal?.keyPreview });
      }
      return errorResponse(apiError, headers);
    } finally {
      upload?.dispose();
    }
  }

  const routes: InferenceLane['routes'] = {};
  for (const [path, route] of byPath) if (!path.endsWith('/')) routes[path] = { POST: (request, server) => handle(request, server, path, route) };

  return {
    routes,
    handler(name) {
      const route = [...byPath.values()].find((r) => r.endpoint.name === name)!;
      return (request, server) => handle(request, server, pathOf(request.url), route);
    },
    intercept(request, server) {
      if (request.method !== 'POST') return undefined;
      const path = pathOf(request.url);
      const route = byPath.get(path);
      return route === undefined ? undefined : handle(request, server, path, route);
    },
  };
}

/** Mounted first: serves the model endpoints for requests that do not come through Bun's router. */
export const inferenceIntercept = (lane: InferenceLane) => new Elysia().onRequest(({ request, server }) => lane.intercept(request, server));

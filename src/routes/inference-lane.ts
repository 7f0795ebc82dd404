/**
 * The request path of the model endpoints (POST /chat/completions, /completions, /embeddings,
 * /audio/speech, /images/generations, /responses; bare and under /v1).
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
    try {
      const length = request.headers.get('content-length');
      if (length !== null && Number(length) > maxBytes) throw tooLarge(maxBytes);
      principal = principalFor(deps.keys, request.headers.get('authorization'));
      gate(principal, request); // terms of service: before the body is read
      const body = await jsonOrNothing(request, request.headers.get('content-type') ?? '', maxBytes);
      if (!route.check.Check(body)) {
        const all = [...route.check.Errors(body)];
        throw validationError({ valueError: all[0], all });
      }
      // Long first tokens and long streams must not be cut by the listener's idle timeout.
      server?.timeout(request, 0);
      relayed = true; // from here the model-call pipeline writes the access line (also for its refusals)
      const answer = await deps.calls.live({
        endpoint: route.endpoint,
        body: body as Record<string, unknown>,
        principal,
        requestId,
        signal: request.signal,
        responses: route.endpoint.name === 'responses' ? responsesContext(request) : undefined,
      });
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

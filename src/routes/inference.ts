/**
 * POST /chat/completions, /completions, /embeddings, /audio/speech, /images/generations: thin
 * controllers over the relay (src/upstream/relay.ts), which resolves, forwards, streams and meters.
 */
import { Elysia, t, type TSchema } from 'elysia';
import { auth } from '../http/auth';
import { loggedByRelay } from '../http/access-log';
import { REQUEST_ID } from '../http/request-id';
import { ENDPOINTS, type EndpointName } from '../upstream/endpoints';
import { authErrors, ErrorResponse, secured } from '../schemas/common';
import { ChatRequest, CompletionRequest, EmbeddingRequest, ImageRequest, JsonObject, SpeechRequest } from '../schemas/inference';
import type { AppDeps } from '../app';

const ROUTES: { name: EndpointName; body: TSchema; summary: string; tag: string; ok: Record<string, { schema: TSchema }> }[] = [
  { name: 'chat', body: ChatRequest, summary: 'Create a chat completion (JSON or SSE stream)', tag: 'Chat', ok: { 'application/json': { schema: JsonObject }, 'text/event-stream': { schema: t.String() } } },
  { name: 'completions', body: CompletionRequest, summary: 'Create a completion (legacy; JSON or SSE stream)', tag: 'Completions', ok: { 'application/json': { schema: JsonObject }, 'text/event-stream': { schema: t.String() } } },
  { name: 'embeddings', body: EmbeddingRequest, summary: 'Create embeddings', tag: 'Embeddings', ok: { 'application/json': { schema: JsonObject } } },
  { name: 'speech', body: SpeechRequest, summary: 'Text to speech (audio streamed back)', tag: 'Audio', ok: { 'audio/mpeg': { schema: t.String({ format: 'binary' }) } } },
  { name: 'images', body: ImageRequest, summary: 'Generate images', tag: 'Images', ok: { 'application/json': { schema: JsonObject } } },
];

const ERRORS = { 400: ErrorResponse, 404: ErrorResponse, 429: ErrorResponse, 502: ErrorResponse, 503: ErrorResponse, 504: ErrorResponse, ...authErrors };

export const inferenceRoutes = (deps: AppDeps) => {
  let app = new Elysia().use(auth(deps.keys));
  for (const r of ROUTES) {
    const endpoint = ENDPOINTS[r.name];
    app = app.post(
      endpoint.path,
      async ({ body, principal, request, server, set }) => {
        // Long first tokens and long streams must not be cut by the idle timeout.
        server?.timeout(request, 0);
        loggedByRelay.add(request); // the relay writes this call's access line when it ends
        const headers = set.headers as Record<string, string>;
        const response = await deps.relay.handle({ endpoint, body: body as Record<string, unknown>, principal, requestId: headers[REQUEST_ID]!, signal: request.signal, headers });
        // The request id and CORS headers are in the Response now. An empty `set.headers` keeps Elysia from
        // re-wrapping the answer (it would copy the headers and turn the body into a stream).
        set.headers = {};
        return response;
      },
      {
        body: r.body,
        // Documents the body as application/json; the global parser in http/body.ts still reads it first.
        parse: 'json',
        detail: {
          ...secured(r.summary, [r.tag]),
          responses: {
            200: { description: 'The upstream answer, relayed as it arrives', content: r.ok },
            ...Object.fromEntries(Object.keys(ERRORS).map((s) => [s, { description: 'Error (OpenAI shape)', content: { 'application/json': { schema: ErrorResponse } } }])),
          },
        },
      },
    ) as unknown as typeof app;
  }
  return app;
};

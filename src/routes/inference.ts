/**
 * POST /chat/completions, /completions, /embeddings, /audio/speech, /images/generations: their schemas
 * and documentation. The relay (src/upstream/relay.ts) resolves, forwards, streams and meters.
 */
import { Elysia, t, type TSchema } from 'elysia';
import { ENDPOINTS, type EndpointName } from '../upstream/endpoints';
import type { InferenceLane } from './inference-lane';
import { authErrors, ErrorResponse, secured } from '../schemas/common';
import { ChatRequest, CompletionRequest, EmbeddingRequest, ImageRequest, JsonObject, SpeechRequest } from '../schemas/inference';

const ROUTES: { name: EndpointName; body: TSchema; summary: string; tag: string; ok: Record<string, { schema: TSchema }> }[] = [
  { name: 'chat', body: ChatRequest, summary: 'Create a chat completion (JSON or SSE stream)', tag: 'Chat', ok: { 'application/json': { schema: JsonObject }, 'text/event-stream': { schema: t.String() } } },
  { name: 'completions', body: CompletionRequest, summary: 'Create a completion (legacy; JSON or SSE stream)', tag: 'Completions', ok: { 'application/json': { schema: JsonObject }, 'text/event-stream': { schema: t.String() } } },
  { name: 'embeddings', body: EmbeddingRequest, summary: 'Create embeddings', tag: 'Embeddings', ok: { 'application/json': { schema: JsonObject } } },
  { name: 'speech', body: SpeechRequest, summary: 'Text to speech (audio streamed back)', tag: 'Audio', ok: { 'audio/mpeg': { schema: t.String({ format: 'binary' }) } } },
  { name: 'images', body: ImageRequest, summary: 'Generate images', tag: 'Images', ok: { 'application/json': { schema: JsonObject } } },
];

const ERRORS = { 400: ErrorResponse, 404: ErrorResponse, 429: ErrorResponse, 502: ErrorResponse, 503: ErrorResponse, 504: ErrorResponse, ...authErrors };

/** The request schema of each endpoint (validated by the lane, documented here). */
export const INFERENCE_SCHEMAS = Object.fromEntries(ROUTES.map((r) => [r.name, r.body])) as Record<EndpointName, TSchema>;

/**
 * The routes as the API document and the 405 answers see them. Requests are served by the inference
 * lane (routes/inference-lane.ts), which reads and validates the body itself: hence `parse: 'none'`.
 */
export const inferenceRoutes = (lane: InferenceLane) => {
  let app = new Elysia();
  for (const r of ROUTES) {
    const handler = lane.handler(r.name);
    app = app.post(ENDPOINTS[r.name].path, ({ request, server }) => handler(request, server), {
      parse: 'none',
      detail: {
        ...secured(r.summary, [r.tag]),
        requestBody: { required: true, content: { 'application/json': { schema: r.body } } },
        responses: {
          200: { description: 'The upstream answer, relayed as it arrives', content: r.ok },
          ...Object.fromEntries(Object.keys(ERRORS).map((s) => [s, { description: 'Error (OpenAI shape)', content: { 'application/json': { schema: ErrorResponse } } }])),
        },
      },
    }) as unknown as typeof app;
  }
  return app;
};

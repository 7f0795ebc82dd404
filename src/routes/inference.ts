/**
 * POST /chat/completions, /completions, /embeddings, /audio/speech, /images/generations, /responses,
 * /audio/transcriptions, /audio/translations: their schemas and documentation. The inference lane
 * (routes/inference-lane.ts) serves them through the model-call pipeline (src/calls/model-calls.ts).
 */
import { Elysia, t, type TSchema } from 'elysia';
import { ENDPOINTS, type EndpointName } from '../config/endpoints';
import type { InferenceLane } from './inference-lane';
import { errorDocs, secured } from '../schemas/common';
import { ChatRequest, CompletionRequest, EmbeddingRequest, ImageRequest, JsonObject, ResponsesRequest, SpeechRequest, TranscriptionRequest, TranslationRequest } from '../schemas/inference';

const audioAnswer = { 'application/json': { schema: JsonObject }, 'text/plain': { schema: t.String() }, 'text/event-stream': { schema: t.String() } };

const ROUTES: { name: EndpointName; operationId: string; body: TSchema; summary: string; tag: string; ok: Record<string, { schema: TSchema }>; description?: string }[] = [
  { name: 'chat', operationId: 'createChatCompletion', body: ChatRequest, summary: 'Create a chat completion (JSON or SSE stream)', tag: 'Chat', ok: { 'application/json': { schema: JsonObject }, 'text/event-stream': { schema: t.String() } } },
  { name: 'completions', operationId: 'createCompletion', body: CompletionRequest, summary: 'Create a completion (legacy; JSON or SSE stream)', tag: 'Completions', ok: { 'application/json': { schema: JsonObject }, 'text/event-stream': { schema: t.String() } } },
  { name: 'embeddings', operationId: 'createEmbedding', body: EmbeddingRequest, summary: 'Create embeddings', tag: 'Embeddings', ok: { 'application/json': { schema: JsonObject } } },
  { name: 'speech', operationId: 'createSpeech', body: SpeechRequest, summary: 'Text to speech (audio streamed back)', tag: 'Audio', ok: { 'audio/mpeg': { schema: t.String({ format: 'binary' }) } } },
  { name: 'images', operationId: 'createImage', body: ImageRequest, summary: 'Generate images', tag: 'Images', ok: { 'application/json': { schema: JsonObject } } },
  { name: 'responses', operationId: 'createResponse', body: ResponsesRequest, summary: 'Create a model response (Responses API; JSON or SSE stream of response events)', tag: 'Responses', ok: { 'application/json': { schema: JsonObject }, 'text/event-stream': { schema: t.String() } } },
  {
    name: 'transcriptions',
    operationId: 'createTranscription',
    body: TranscriptionRequest,
    summary: 'Transcribe audio (multipart upload, streamed to the upstream)',
    tag: 'Audio',
    ok: audioAnswer,
    description:
      'JSON for `json` and `verbose_json`, text/plain for `text`, `srt` and `vtt`, server-sent events (transcript.text.delta, transcript.text.done) with `stream=true`. A missing `file` is a 400 naming it; a file over the audio size limit a 413.',
  },
  {
    name: 'translations',
    operationId: 'createTranslation',
    body: TranslationRequest,
    summary: 'Translate audio into English (multipart upload, streamed to the upstream)',
    tag: 'Audio',
    ok: audioAnswer,
    description: 'JSON for `json` and `verbose_json`, text/plain for `text`, `srt` and `vtt`. A missing `file` is a 400 naming it; a file over the audio size limit a 413.',
  },
];


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
        ...secured(r.operationId, r.summary, [r.tag], r.description),
        requestBody: { required: true, content: { [ENDPOINTS[r.name].multipart ? 'multipart/form-data' : 'application/json']: { schema: r.body } } },
        responses: {
          200: { description: 'The upstream answer, relayed as it arrives', content: r.ok },
          ...errorDocs(400, 401, 403, 404, 413, 415, 429, 500, 502, 503, 504),
        },
      },
    }) as unknown as typeof app;
  }
  return app;
};

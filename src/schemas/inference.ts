/**
 * Request bodies of the model endpoints. Only what the gateway itself needs is checked; every other field
 * (tools, response_format, logprobs, anything the API adds later) is kept and forwarded untouched.
 */
import { t, type TSchema } from 'elysia';

const open = <T extends Record<string, TSchema>>(properties: T, description: string) =>
  t.Object(properties, { additionalProperties: true, description });

const model = t.String({ minLength: 1, description: 'A model name or alias from GET /v1/models' });
const userId = t.Optional(t.Union([t.String(), t.Number()], { description: 'End-user attribution (recorded with the usage, not forwarded)' }));
const stream = t.Optional(t.Boolean({ description: 'Stream the answer as server-sent events' }));

export const ChatRequest = open(
  {
    model,
    messages: t.Array(t.Object({ role: t.String() }, { additionalProperties: true }), { minItems: 1 }),
    stream,
    user_id: userId,
  },
  'OpenAI chat completion request; every field is forwarded',
);

export const CompletionRequest = open(
  {
    model,
    prompt: t.Union([t.String(), t.Array(t.Any()), t.Null()], { description: 'Text, texts or token arrays' }),
    stream,
    user_id: userId,
  },
  'OpenAI (legacy) completion request; every field is forwarded',
);

export const EmbeddingRequest = open(
  {
    model,
    input: t.Union([t.String(), t.Array(t.Any(), { minItems: 1 })]),
    encoding_format: t.Optional(t.Union([t.Literal('float'), t.Literal('base64')])),
    user_id: userId,
  },
  'OpenAI embeddings request; encoding_format passes through',
);

export const SpeechRequest = open(
  {
    model,
    input: t.String({ maxLength: 4096 }),
    voice: t.Union([t.String(), t.Object({ id: t.String() }, { additionalProperties: true })]),
    user_id: userId,
  },
  'OpenAI text-to-speech request; the audio streams back with its own content type',
);

export const ImageRequest = open(
  {
    model,
    prompt: t.String({ minLength: 1 }),
    user_id: userId,
  },
  'OpenAI image generation request',
);

const audioFields = (streams: boolean) => ({
  file: t.String({ format: 'binary', description: 'The audio (flac, mp3, mp4, mpeg, mpga, m4a, ogg, wav or webm); at most AQUEDUCT_MAX_AUDIO_SIZE (25 MB)' }),
  model: t.String({ minLength: 1, description: 'A model name or alias of an audio_transcriptions model (replaced by the upstream model)' }),
  prompt: t.Optional(t.String()),
  response_format: t.Optional(
    t.Union([t.Literal('json'), t.Literal('verbose_json'), t.Literal('text'), t.Literal('srt'), t.Literal('vtt')], { description: 'text, srt and vtt are answered as text/plain' }),
  ),
  temperature: t.Optional(t.Number()),
  ...(streams
    ? {
        language: t.Optional(t.String({ description: 'ISO-639-1 code of the spoken language' })),
        'timestamp_granularities[]': t.Optional(t.Array(t.Union([t.Literal('word'), t.Literal('segment')]))),
        stream: t.Optional(t.Boolean({ description: 'Stream transcript.text.delta / transcript.text.done events (SSE)' })),
      }
    : {}),
  user_id: t.Optional(t.String({ description: 'End-user attribution (recorded with the usage, not forwarded)' })),
});

/** multipart/form-data; documented only: the lane reads the form itself (src/http/audio-upload.ts). */
export const TranscriptionRequest = open(audioFields(true), 'OpenAI transcription request (multipart/form-data); every field but user_id is forwarded');
export const TranslationRequest = open(audioFields(false), 'OpenAI translation request, to English (multipart/form-data); every field but user_id is forwarded');

export const ResponsesRequest = open(
  {
    model,
    input: t.Optional(t.Union([t.String(), t.Array(t.Object({}, { additionalProperties: true }))], { description: 'Text, or a list of input items (messages, function_call, function_call_output, …)' })),
    instructions: t.Optional(t.Union([t.String(), t.Null()])),
    previous_response_id: t.Optional(t.Union([t.String({ minLength: 1 }), t.Null()], { description: 'Continue from a response of yours' })),
    tools: t.Optional(t.Array(t.Object({ type: t.String() }, { additionalProperties: true }))),
    store: t.Optional(t.Boolean({ description: 'Keep the response for retrieve and previous_response_id (default true)' })),
    stream,
    user_id: userId,
  },
  'OpenAI Responses API request: relayed (native deployments) or translated to chat completions',
);

/** Loose response shapes, for the OpenAPI document. */
export const JsonObject = t.Object({}, { additionalProperties: true });

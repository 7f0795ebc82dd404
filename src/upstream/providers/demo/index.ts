/**
 * The built-in demo provider (`model: demo/<name>`): answers every model endpoint in-process,
 * deterministically and in exact OpenAI shapes, so the gateway serves with no provider at all — for a
 * first try, for demos and as a load-test target. It implements the same Provider contract as a real
 * upstream and returns a Response, so routing, limits, metering, usage and batches treat it like one.
 * `mock_latency_ms` (litellm_params) delays the start of every answer.
 */
import type { Provider, ProviderCall } from '../../provider';
import { chatAnswer, completionAnswer } from './answers';
import { embeddingsJson } from './embeddings';
import { imagesJson, speechAudio } from './media';
import { refuse, type Outcome } from './outcome';
import { audioFormOf } from '../../audio-form';
import { transcriptionAnswer } from './transcribe';
import { chatChunks, chatJson, completionChunks, completionJson, type Meta } from './text-wire';

const encoder = new TextEncoder();
const newId = () => crypto.randomUUID().replaceAll('-', '').slice(0, 24);

/** An answer as JSON, or its refusal as the 400 an OpenAI upstream would give (relayed as such). */
function reply(o: Outcome): Response {
  if ('json' in o) return Response.json(o.json);
  return Response.json({ error: { message: o.refusal.message, type: 'invalid_request_error', param: o.refusal.param, code: 'invalid_value' } }, { status: 400 });
}

/** An SSE response that sends one event per chunk, each as its own write, then `[DONE]`. */
function sse(chunks: object[], signal: AbortSignal): Response {
  let i = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (signal.aborted) return controller.error(signal.reason);
      if (i < chunks.length) controller.enqueue(encoder.encode(`data: ${JSON.stringify(chunks[i++])}\n\n`));
      else {
        controller.enqueue(encoder.encode('data: [DONE]\n\n'));
        controller.close();
      }
    },
  });
  return new Response(body, { headers: { 'content-type': 'text/event-stream; charset=utf-8' } });
}

function delay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

function answer(endpoint: string, body: Record<string, unknown>, signal: AbortSignal): Response | Promise<Response> {
  const meta: Meta = { id: '', created: Math.floor(Date.now() / 1000), model: String(body.model) };
  const stream = body.stream === true;
  const withUsage = stream && (body.stream_options as { include_usage?: unknown } | undefined)?.include_usage === true;
  switch (endpoint) {
    case 'chat': {
      const a = chatAnswer(body, newId);
      meta.id = `chatcmpl-${newId()}`;
      return stream ? sse(chatChunks(a, meta, withUsage), signal) : Response.json(chatJson(a, meta));
    }
    case 'completions': {
      const a = completionAnswer(body);
      meta.id = `cmpl-${newId()}`;
      return stream ? sse(completionChunks(a, meta, withUsage), signal) : Response.json(completionJson(a, meta));
    }
    case 'embeddings':
      return reply(embeddingsJson(body, meta.model));
    case 'speech': {
      const audio = speechAudio(body);
      return new Response(audio.bytes, { headers: { 'content-type': audio.contentType } });
    }
    case 'images':
      return reply(imagesJson(body));
    case 'transcriptions':
    case 'translations': {
      const form = audioFormOf(body);
      if (form === undefined) return reply(refuse('file', "Missing required field 'file'."));
      return transcriptionAnswer(form, endpoint === 'translations');
    }
    default:
      return reply(refuse('model', `The demo provider does not serve ${endpoint}.`));
  }
}

export const demoProvider: Provider<ProviderCall> = {
  prepare: (call) => call,
  async send({ endpoint, deployment, body }, signal) {
    if (deployment.mockLatencyMs) await delay(deployment.mockLatencyMs, signal);
    return answer(endpoint.name, body, signal);
  },
};

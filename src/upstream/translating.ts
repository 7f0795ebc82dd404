/**
 * The shared half of a translating provider (one whose wire format is not OpenAI's): an adapter says how
 * to build the upstream request, map a JSON answer, map stream events (a fresh, stateful mapper per call)
 * and map an error; `translatingProvider` does the HTTP exchange around it and gives the router a
 * Response in the OpenAI wire format. Streams are mapped event by event as they arrive, never buffered,
 * and cancelling the mapped stream cancels the upstream one.
 */
import type { Provider, ProviderCall } from './provider';

export interface WireRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
}

/** One upstream SSE event: its `event:` name (if any) and its `data:` text. */
export interface WireEvent {
  event: string | undefined;
  data: string;
}

/** What a stream mapper emits per upstream event: OpenAI chunks (objects), or 'DONE' for `[DONE]`. */
export type MappedEvent = object | 'DONE';

export interface StreamMapper {
  map(e: WireEvent): MappedEvent[];
}

export interface WireAdapter<Context> {
  /** Builds the request and the context the answer mapping needs; throws when the call cannot be encoded. */
  request(call: ProviderCall): { wire: WireRequest; context: Context };
  /** A 2xx JSON answer → the OpenAI JSON answer. */
  answer(json: unknown, context: Context): unknown;
  /** A new mapper for one streamed answer. */
  stream(context: Context): StreamMapper;
  /** An error answer (its status kept) → an OpenAI error body. */
  error(status: number, text: string): { error: { message: string; type: string; param: string | null; code: string | null } };
  retryable?(status: number): boolean;
  /** Whether the call asked for a stream (decides how a 2xx answer is read). */
  streams(context: Context): boolean;
}

const encoder = new TextEncoder();
/** Headers of an upstream error worth keeping for the router (Retry-After) and the log. */
const KEPT_ERROR_HEADERS = ['retry-after', 'retry-after-ms', 'x-request-id', 'request-id'];

export function translatingProvider<C>(adapter: WireAdapter<C>): Provider<{ wire: WireRequest; context: C }> {
  return {
    prepare: (call) => adapter.request(call),
    retryable: adapter.retryable?.bind(adapter),
    async send({ wire, context }, signal) {
      const upstream = await fetch(wire.url, { method: 'POST', headers: wire.headers, body: wire.body, signal });
      const passed = new Headers();
      for (const name of KEPT_ERROR_HEADERS) {
        const v = upstream.headers.get(name);
        if (v !== null) passed.set(name === 'request-id' ? 'x-upstream-request-id' : name, v);
      }
      if (!upstream.ok) {
        const text = await upstream.text().catch(() => '');
        return Response.json(adapter.error(upstream.status, text), { status: upstream.status, headers: passed });
      }
      const type = upstream.headers.get('content-type') ?? '';
      if (adapter.streams(context) && type.startsWith('text/event-stream') && upstream.body) {
        passed.set('content-type', 'text/event-stream; charset=utf-8');
        return new Response(mapSse(upstream.body, adapter.stream(context)), { status: 200, headers: passed });
      }
      const text = await upstream.text();
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        return Response.json(adapter.error(502, `The upstream answered with something that is not JSON: ${text.slice(0, 200)}`), { status: 502, headers: passed });
      }
      return Response.json(adapter.answer(json, context), { status: 200, headers: passed });
    },
  };
}

/** Re-encodes an SSE stream event by event through a mapper (OpenAI `data:` events). */
export function mapSse(body: ReadableStream<Uint8Array>, mapper: StreamMapper): ReadableStream<Uint8Array> {
  return sseEvents(body, (e) => {
    let out = '';
    for (const m of mapper.map(e)) out += m === 'DONE' ? 'data: [DONE]\n\n' : `data: ${JSON.stringify(m)}\n\n`;
    return out;
  }).pipeThrough(new TransformStream<string, Uint8Array>({ transform: (text, controller) => controller.enqueue(encoder.encode(text)) }));
}

/**
 * Parses an SSE byte stream into events as they arrive and gives each to `map`, whose text (if any) is
 * passed on. Errors and cancellation pass through to and from the source stream.
 */
export function sseEvents(body: ReadableStream<Uint8Array>, map: (e: WireEvent) => string): ReadableStream<string> {
  const decoder = new TextDecoder();
  let buffer = '';
  const emit = (raw: string, controller: TransformStreamDefaultController<string>) => {
    let event: string | undefined;
    let data = '';
    let sawData = false;
    for (const line of raw.split('\n')) {
      if (line.startsWith('event:')) event = line.slice(6).trim();
      else if (line.startsWith('data:')) {
        data += (sawData ? '\n' : '') + line.slice(line.charCodeAt(5) === 32 ? 6 : 5);
        sawData = true;
      }
    }
    if (!sawData && event === undefined) return; // a comment or keep-alive
    const out = map({ event, data });
    if (out !== '') controller.enqueue(out);
  };
  const split = (controller: TransformStreamDefaultController<string>) => {
    if (buffer.includes('\r')) buffer = buffer.replace(/\r\n?/g, '\n');
    let cut: number;
    while ((cut = buffer.indexOf('\n\n')) >= 0) {
      const raw = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      emit(raw, controller);
    }
  };
  return body.pipeThrough(
    new TransformStream<Uint8Array, string>({
      transform(chunk, controller) {
        buffer += decoder.decode(chunk, { stream: true });
        split(controller);
      },
      flush(controller) {
        buffer += decoder.decode();
        split(controller);
        if (buffer.trim() !== '') emit(buffer.trim(), controller);
      },
    }),
  );
}

/**
 * Relays an upstream SSE stream (chat, completions or transcription) to the client event by event, as it arrives:
 * - reads upstream only when the client reads (a slow client holds back the upstream, memory stays bounded);
 * - picks the token usage out of the stream (the gateway always asks upstream for it) and drops the
 *   usage-only chunk unless the client asked for it;
 * - a stream that breaks, stalls past the timeout or ends without `[DONE]` ends with an error event and no
 *   `[DONE]`, so SDKs raise instead of returning a truncated answer;
 * - a client that goes away cancels the upstream call, and so does one that stops reading: the relay pulls
 *   upstream only when the client reads, so a client that has not pulled for `clientIdleTimeoutMs` would
 *   otherwise hold its socket and the upstream call open for ever.
 */
import { clientStallWatch } from './client-stall';
import { idleRead, UpstreamStalled } from './idle-read';
import { tokensOf, type Tokens } from './usage-tokens';

export interface SseOutcome {
  /** 200 when the stream completed with [DONE]; 502/504 when upstream failed; 499 when the client left. */
  status: number;
  tokens?: Tokens;
  /** ms from `startedAt` to the first event. */
  ttftMs: number | null;
  errorCode: string | null;
}

export interface SseRelayOptions {
  body: ReadableStream<Uint8Array>;
  /** Forward the usage-only chunk (the client set stream_options.include_usage). */
  forwardUsageChunk: boolean;
  /** Longest silence tolerated between upstream chunks, ms. */
  idleTimeoutMs: number;
  /** Longest time the client may go without reading (once we have something for it), ms. */
  clientIdleTimeoutMs: number;
  startedAt: number;
  abortUpstream(reason: unknown): void;
  onEnd(outcome: SseOutcome): void;
  /**
   * An event that completes the stream like `[DONE]` (transcription streams end with their
   * `transcript.text.done` event and no `[DONE]`).
   */
  finalEvent?: RegExp;
  /**
   * `responses`: a Responses API event stream. It is complete with `response.completed`, `.incomplete` or
   * `.failed` (or `[DONE]`), its usage is the final response's; `onResponse` sees the response object of
   * `response.created` and of the final event.
   */
  format?: 'chat' | 'responses';
  onResponse?(response: Record<string, unknown>, event: 'created' | 'final'): void;
}

const encoder = new TextEncoder();
const USAGE = /"usage"\s*:\s*\{/;
const RESPONSE_EVENT = /"type"\s*:\s*"response\.(created|completed|incomplete|failed)"/;

/** An error event in the OpenAI error shape: SDKs raise it instead of returning a truncated answer. */
function errorEvent(message: string, code: string): Uint8Array {
  return encoder.encode(`data: ${JSON.stringify({ error: { message, type: 'upstream_error', param: null, code } })}\n\n`);
}

export function relaySse(o: SseRelayOptions): ReadableStream<Uint8Array> {
  const reader = o.body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  let sawDone = false;
  let tokens: Tokens | undefined;
  let ttftMs: number | null = null;
  let ended = false;

  const end = (outcome: Omit<SseOutcome, 'tokens' | 'ttftMs'>) => {
    if (ended) return;
    ended = true;
    o.onEnd({ ...outcome, tokens, ttftMs });
  };

  /** One complete event (without its blank-line terminator) → the text to forward, or '' to drop it. */
  const handle = (event: string): string => {
    let data = '';
    for (const line of event.split('\n')) {
      if (line.startsWith('data:')) data += (data ? '\n' : '') + line.slice(line.charCodeAt(5) === 32 ? 6 : 5);
    }
    if (ttftMs === null && data !== '') ttftMs = Math.round(performance.now() - o.startedAt);
    if (responses) {
      if (data === '[DONE]') sawDone = true;
      else if (RESPONSE_EVENT.test(data)) responseEvent(data);
      return `${event}\n\n`;
    }
    if (data === '[DONE]') sawDone = true;
    else if (o.finalEvent?.test(data)) sawDone = true;
    if (data !== '[DONE]' && USAGE.test(data)) {
      try {
        const chunk = JSON.parse(data) as { usage?: unknown; choices?: unknown[] };
        tokens = tokensOf(chunk.usage) ?? tokens;
        if (!o.forwardUsageChunk && Array.isArray(chunk.choices) && chunk.choices.length === 0) return '';
      } catch {
        // Not JSON: forward it untouched and let the client decide.
      }
    }
    return `${event}\n\n`;
  };

  const responses = o.format === 'responses';
  const responseEvent = (data: string) => {
    let e: { type?: unknown; response?: unknown };
    try {
      e = JSON.parse(data) as typeof e;
    } catch {
      return;
    }
    if (typeof e.response !== 'object' || e.response === null) return;
    const response = e.response as Record<string, unknown>;
    if (e.type === 'response.created') o.onResponse?.(response, 'created');
    else if (e.type === 'response.completed' || e.type === 'response.incomplete' || e.type === 'response.failed') {
      sawDone = true;
      tokens = tokensOf(response.usage) ?? tokens;
      o.onResponse?.(response, 'final');
    }
  };

  const read = idleRead(reader, o.idleTimeoutMs);

  let stream!: ReadableStreamDefaultController<Uint8Array>;
  const stall = clientStallWatch(o.clientIdleTimeoutMs, (err) => {
    o.abortUpstream(err);
    reader.cancel(err).catch(() => {});
    end({ status: 408, errorCode: 'client_idle_timeout' });
    stream.error(err); // the client is not reading: an error event would never reach it
  });

  return new ReadableStream<Uint8Array>({
    start(controller) {
      stream = controller;
    },
    async pull(controller) {
      stall.pulled();
      try {
        for (;;) {
          const { done, value } = await read();
          if (done) {
            if (buffer.trim() !== '') {
              const rest = handle(buffer.trim());
              if (rest) controller.enqueue(encoder.encode(rest));
            }
            if (!sawDone) {
              controller.enqueue(errorEvent('The upstream stream ended before it was complete.', 'stream_incomplete'));
              end({ status: 502, errorCode: 'stream_incomplete' });
            } else end({ status: 200, errorCode: null });
            controller.close();
            return;
          }
          buffer += decoder.decode(value, { stream: true });
          if (buffer.includes('\r')) buffer = buffer.replace(/\r\n?/g, '\n');
          let out = '';
          let cut: number;
          while ((cut = buffer.indexOf('\n\n')) >= 0) {
            out += handle(buffer.slice(0, cut));
            buffer = buffer.slice(cut + 2);
          }
          if (out !== '') {
            controller.enqueue(encoder.encode(out));
            stall.waiting();
            return;
          }
        }
      } catch (err) {
        const stalled = err instanceof UpstreamStalled;
        o.abortUpstream(err);
        controller.enqueue(
          stalled
            ? errorEvent(`The upstream stream stalled for more than ${o.idleTimeoutMs / 1000} s.`, 'upstream_timeout')
            : errorEvent('The upstream stream was interrupted.', 'stream_interrupted'),
        );
        end({ status: stalled ? 504 : 502, errorCode: stalled ? 'upstream_timeout' : 'stream_interrupted' });
        controller.close();
      }
    },
    cancel(reason) {
      stall.pulled();
      o.abortUpstream(reason);
      reader.cancel(reason).catch(() => {});
      end({ status: 499, errorCode: 'client_closed' });
    },
  });
}

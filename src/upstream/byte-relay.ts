/**
 * Relays a byte stream (speech audio, an MCP answer) as it arrives: read only as fast as the client reads,
 * ended when the upstream goes silent for longer than the idle timeout (the upstream call is cancelled),
 * and reported once, however it ends: completed, broken, stalled, or abandoned by the client.
 */

export interface ByteOutcome {
  /** 200 when every byte went through; 502 broken, 504 stalled, 499 the client left. */
  status: number;
  errorCode: string | null;
}

export interface ByteRelayOptions {
  body: ReadableStream<Uint8Array>;
  /** Longest silence tolerated between chunks, ms; 0 for none (a long-lived event stream). */
  idleTimeoutMs: number;
  /** Longest time the client may go without reading, ms; 0 for none. */
  clientIdleTimeoutMs?: number;
  abortUpstream(reason: unknown): void;
  onEnd(outcome: ByteOutcome): void;
}

import { clientStallWatch } from './client-stall';
import { idleRead, UpstreamStalled } from './idle-read';

export function relayBytes(o: ByteRelayOptions): ReadableStream<Uint8Array> {
  const reader = o.body.getReader();
  let ended = false;
  const end = (status: number, errorCode: string | null) => {
    if (ended) return;
    ended = true;
    o.onEnd({ status, errorCode });
  };
  const read = idleRead(reader, o.idleTimeoutMs);
  let stream!: ReadableStreamDefaultController<Uint8Array>;
  // A client that stops reading would hold the socket and the upstream call open for ever.
  const stall = clientStallWatch(o.clientIdleTimeoutMs ?? 0, (err) => {
    o.abortUpstream(err);
    reader.cancel(err).catch(() => {});
    end(408, 'client_idle_timeout');
    stream.error(err);
  });
  return new ReadableStream<Uint8Array>({
    start(controller) {
      stream = controller;
    },
    async pull(controller) {
      stall.pulled();
      try {
        const { done, value } = await read();
        if (done) {
          end(200, null);
          controller.close();
        } else {
          controller.enqueue(value);
          stall.waiting();
        }
      } catch (err) {
        const stalled = err instanceof UpstreamStalled;
        o.abortUpstream(err);
        reader.cancel(err).catch(() => {});
        end(stalled ? 504 : 502, stalled ? 'upstream_timeout' : 'stream_interrupted');
        // A byte stream has no error event: the client sees the body cut short, as with a broken upstream.
        controller.error(err);
      }
    },
    cancel(reason) {
      stall.pulled();
      o.abortUpstream(reason);
      reader.cancel(reason).catch(() => {});
      end(499, 'client_closed');
    },
  });
}

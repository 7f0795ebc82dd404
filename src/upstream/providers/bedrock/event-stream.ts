/**
 * The AWS event-stream binary framing (application/vnd.amazon.eventstream), as ConverseStream sends it.
 * Each message: a 12-byte prelude (total length, headers length — big-endian uint32 — and the CRC32 of
 * those 8 bytes), the headers (name length u8, name, value type u8, value), the payload, and the CRC32 of
 * everything before it. Messages may be split across reads or share one; a bad CRC or length is an error.
 */

export type HeaderValue = string | number | bigint | boolean | Uint8Array;

export interface EventMessage {
  headers: Record<string, HeaderValue>;
  payload: Uint8Array;
}

export class EventStreamError extends Error {}

const PRELUDE = 12;
const MAX_MESSAGE = 16 * 1024 * 1024;
const utf8 = new TextDecoder();

const crc32 = (bytes: Uint8Array) => Bun.hash.crc32(bytes) >>> 0;

export function decodeMessage(bytes: Uint8Array): EventMessage {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const total = view.getUint32(0);
  const headersLength = view.getUint32(4);
  if (total !== bytes.byteLength || headersLength > total - PRELUDE - 4) throw new EventStreamError('event-stream message lengths do not add up');
  if (crc32(bytes.subarray(0, 8)) !== view.getUint32(8)) throw new EventStreamError('event-stream prelude CRC mismatch');
  if (crc32(bytes.subarray(0, total - 4)) !== view.getUint32(total - 4)) throw new EventStreamError('event-stream message CRC mismatch');
  const headers: Record<string, HeaderValue> = {};
  let at = PRELUDE;
  const end = PRELUDE + headersLength;
  while (at < end) {
    const nameLength = bytes[at++]!;
    const name = utf8.decode(bytes.subarray(at, at + nameLength));
    at += nameLength;
    const type = bytes[at++];
    switch (type) {
      case 0:
        headers[name] = true;
        break;
      case 1:
        headers[name] = false;
        break;
      case 2:
        headers[name] = view.getInt8(at);
        at += 1;
        break;
      case 3:
        headers[name] = view.getInt16(at);
        at += 2;
        break;
      case 4:
        headers[name] = view.getInt32(at);
        at += 4;
        break;
      case 5:
      case 8: // timestamp: ms since the epoch
        headers[name] = view.getBigInt64(at);
        at += 8;
        break;
      case 6:
      case 7: {
        const length = view.getUint16(at);
        at += 2;
        const value = bytes.subarray(at, at + length);
        headers[name] = type === 7 ? utf8.decode(value) : value.slice();
        at += length;
        break;
      }
      case 9:
        headers[name] = bytes.slice(at, at + 16);
        at += 16;
        break;
      default:
        throw new EventStreamError(`event-stream header ${name} has unknown type ${type}`);
    }
    if (at > end) throw new EventStreamError('event-stream headers overrun their length');
  }
  return { headers, payload: bytes.slice(end, total - 4) };
}

/** The messages of an event-stream body, as they complete. Ends with an error if the body stops mid-message. */
export async function* eventStreamMessages(body: ReadableStream<Uint8Array>): AsyncGenerator<EventMessage> {
  const reader = body.getReader();
  let buffer = new Uint8Array(0);
  try {
    for (;;) {
      while (buffer.byteLength >= PRELUDE) {
        const total = new DataView(buffer.buffer, buffer.byteOffset, 4).getUint32(0);
        if (total < PRELUDE + 4 || total > MAX_MESSAGE) throw new EventStreamError(`event-stream message length ${total} is not valid`);
        if (buffer.byteLength < total) break;
        yield decodeMessage(buffer.subarray(0, total));
        buffer = buffer.subarray(total);
      }
      const { done, value } = await reader.read();
      if (done) {
        if (buffer.byteLength > 0) throw new EventStreamError('the event stream ended inside a message');
        return;
      }
      const next = new Uint8Array(buffer.byteLength + value.byteLength);
      next.set(buffer);
      next.set(value, buffer.byteLength);
      buffer = next;
    }
  } finally {
    reader.releaseLock();
    await body.cancel().catch(() => {});
  }
}

/** Encodes a message with string headers (for tests and mocks; the gateway only decodes). */
export function encodeMessage(headers: Record<string, string>, payload: Uint8Array): Uint8Array {
  const enc = new TextEncoder();
  const parts: number[] = [];
  for (const [name, value] of Object.entries(headers)) {
    const n = enc.encode(name);
    const v = enc.encode(value);
    parts.push(n.byteLength, ...n, 7, v.byteLength >> 8, v.byteLength & 0xff, ...v);
  }
  const headerBytes = Uint8Array.from(parts);
  const total = PRELUDE + headerBytes.byteLength + payload.byteLength + 4;
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  view.setUint32(0, total);
  view.setUint32(4, headerBytes.byteLength);
  view.setUint32(8, crc32(out.subarray(0, 8)));
  out.set(headerBytes, PRELUDE);
  out.set(payload, PRELUDE + headerBytes.byteLength);
  view.setUint32(total - 4, crc32(out.subarray(0, total - 4)));
  return out;
}

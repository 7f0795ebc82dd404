/** The AWS event-stream decoder: framing, headers, split and joined reads, CRC and length errors. */
import { expect, test } from 'bun:test';
import { decodeMessage, encodeMessage, EventStreamError, eventStreamMessages } from '../../src/upstream/providers/bedrock/event-stream';

const enc = new TextEncoder();
const dec = new TextDecoder();

function streamOf(chunks: Uint8Array[]): ReadableStream<Uint8Array> {
  return new ReadableStream({
    pull(c) {
      const next = chunks.shift();
      if (next) c.enqueue(next);
      else c.close();
    },
  });
}

async function all(body: ReadableStream<Uint8Array>) {
  const out = [];
  for await (const m of eventStreamMessages(body)) out.push({ headers: m.headers, payload: dec.decode(m.payload) });
  return out;
}

test('a hand-built message with int32, bytes and bool headers decodes', () => {
  // Hand-built: one int32 header (type 4), one bytes header (type 6), one bool (type 0), a string payload.
  const headers = [...[3, ...enc.encode('int'), 4, 0, 0, 1, 0x2c], ...[3, ...enc.encode('raw'), 6, 0, 2, 0xca, 0xfe], ...[2, ...enc.encode('ok'), 0]];
  const payload = enc.encode('{"a":1}');
  const total = 12 + headers.length + payload.length + 4;
  const bytes = new Uint8Array(total);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, total);
  view.setUint32(4, headers.length);
  view.setUint32(8, Bun.hash.crc32(bytes.subarray(0, 8)) >>> 0);
  bytes.set(headers, 12);
  bytes.set(payload, 12 + headers.length);
  view.setUint32(total - 4, Bun.hash.crc32(bytes.subarray(0, total - 4)) >>> 0);
  const m = decodeMessage(bytes);
  expect(m.headers).toEqual({ int: 300, raw: new Uint8Array([0xca, 0xfe]), ok: true });
  expect(dec.decode(m.payload)).toBe('{"a":1}');
});

test('messages split across reads, and several in one read, all come out in order', async () => {
  const a = encodeMessage({ ':event-type': 'messageStart', ':message-type': 'event' }, enc.encode('{"role":"assistant"}'));
  const b = encodeMessage({ ':event-type': 'contentBlockDelta' }, enc.encode('{"delta":{"text":"hé"}}'));
  const c = encodeMessage({ ':event-type': 'messageStop' }, new Uint8Array(0));
  const joined = new Uint8Array([...a, ...b, ...c]);
  const expected: { headers: Record<string, string>; payload: string }[] = [
    { headers: { ':event-type': 'messageStart', ':message-type': 'event' }, payload: '{"role":"assistant"}' },
    { headers: { ':event-type': 'contentBlockDelta' }, payload: '{"delta":{"text":"hé"}}' },
    { headers: { ':event-type': 'messageStop' }, payload: '' },
  ];
  expect(await all(streamOf([joined]))).toEqual(expected);
  // One byte at a time.
  expect(await all(streamOf([...joined].map((x) => new Uint8Array([x]))))).toEqual(expected);
});

test('a corrupted payload, a corrupted prelude and a body cut mid-message are errors', async () => {
  const good = encodeMessage({ ':event-type': 'x' }, enc.encode('hello'));
  const badPayload = good.slice();
  badPayload[badPayload.length - 6]! ^= 1;
  expect(() => decodeMessage(badPayload)).toThrow('message CRC mismatch');
  const badPrelude = good.slice();
  badPrelude[9]! ^= 1; // the prelude's own CRC
  expect(() => decodeMessage(badPrelude)).toThrow('prelude CRC mismatch');
  const badLength = good.slice();
  badLength[7]! ^= 1; // the headers length
  expect(() => decodeMessage(badLength)).toThrow(EventStreamError);
  await expect(all(streamOf([good, good.slice(0, 10)]))).rejects.toThrow('ended inside a message');
});

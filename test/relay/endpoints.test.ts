/** Completions, embeddings, speech and images through the gateway with the official openai SDK. */
import { afterAll, beforeEach, describe, expect, test } from 'bun:test';
import OpenAI from 'openai';
import { mockEmbedding } from '../support/mock-upstream';
import { relayFixture, STANDARD_MODELS } from '../support/relay-fixture';

const f = relayFixture(STANDARD_MODELS);
afterAll(() => f.close());
beforeEach(() => f.reset());

describe('completions', () => {
  test('non-stream and stream', async () => {
    const res = await f.client().completions.create({ model: 'text-test', prompt: 'say this' });
    expect(res.choices[0]!.text).toBe(' completed: say this');
    const stream = await f.client().completions.create({ model: 'text-test', prompt: 'again', stream: true });
    let text = '';
    for await (const c of stream) text += c.choices[0]?.text ?? '';
    expect(text).toBe(' completed: again');
    expect(f.gw.usageRows().map((r) => [r.endpoint, r.stream, r.input_tokens, r.output_tokens])).toEqual([
      ['completions', 0, 2, 3],
      ['completions', 1, 1, 2],
    ]);
  });
});

describe('embeddings', () => {
  test('SDK default (base64 on the wire) decodes to the right vectors', async () => {
    const res = await f.client().embeddings.create({ model: 'embed', input: ['alpha', 'beta gamma'] });
    expect(f.mock.received[0]!.body.encoding_format).toBe('base64');
    expect(res.data).toHaveLength(2);
    expect(res.data[0]!.embedding).toEqual(mockEmbedding('alpha', 8));
    expect(res.data[1]!.embedding).toEqual(mockEmbedding('beta gamma', 8));
    expect(f.gw.usageRows()[0]).toMatchObject({ endpoint: 'embeddings', model: 'embed-test', input_tokens: 3, output_tokens: 0 });
  });

  test('float arrays when asked, with dimensions passed through', async () => {
    const res = await f.client().embeddings.create({ model: 'embed-test', input: 'delta', encoding_format: 'float', dimensions: 4 });
    expect(res.data[0]!.embedding).toEqual(mockEmbedding('delta', 4));
    expect(f.mock.received[0]!.body).toMatchObject({ encoding_format: 'float', dimensions: 4, model: 'embed-upstream' });
  });
});

describe('speech', () => {
  test('audio bytes stream through with the upstream content type', async () => {
    const res = await f.client().audio.speech.create({ model: 'tts', input: 'hi', voice: 'alloy', response_format: 'opus' });
    expect(res.headers.get('content-type')).toBe('audio/opus');
    const reader = res.body!.getReader();
    const first = await reader.read();
    const firstAt = performance.now();
    let bytes = first.value!.byteLength;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      bytes += value.byteLength;
    }
    // The mock sends 8 pieces 20 ms apart: the first arrived well before the last (not buffered).
    expect(performance.now() - firstAt).toBeGreaterThan(80);
    expect(bytes).toBe(8 * 'AUDIO[hi]'.length);
    expect(f.gw.usageRows()[0]).toMatchObject({ endpoint: 'speech', model: 'tts-test', status: 200 });
  });

  test('mp3 is audio/mpeg', async () => {
    const res = await f.client().audio.speech.create({ model: 'tts-test', input: 'x', voice: 'alloy' });
    expect(res.headers.get('content-type')).toBe('audio/mpeg');
    expect(new TextDecoder().decode(await res.arrayBuffer())).toStartWith('AUDIO[x]');
  });
});

describe('images', () => {
  test('b64_json and url answers are relayed; usage recorded', async () => {
    const b64 = await f.client().images.generate({ model: 'image-test', prompt: 'a red square', response_format: 'b64_json', n: 2 });
    expect(b64.data).toHaveLength(2);
    expect(Buffer.from(b64.data![0]!.b64_json!, 'base64').subarray(1, 4).toString()).toBe('PNG');
    const url = await f.client().images.generate({ model: 'image-test', prompt: 'blue', response_format: 'url' });
    expect(url.data![0]!.url).toContain('/images/mock.png');
    expect(f.gw.usageRows()[0]).toMatchObject({ endpoint: 'images', input_tokens: 3, output_tokens: 50 });
  });

  test('missing prompt → 400', async () => {
    const err = await f.client().images.generate({ model: 'image-test' } as any).catch((e) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect(err.param).toBe('prompt');
  });
});

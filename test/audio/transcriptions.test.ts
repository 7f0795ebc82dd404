/**
 * POST /audio/transcriptions and /audio/translations through the gateway to the mock upstream, with the
 * official openai SDK and a WAV made here: every response format, streams, the model rewritten, the whole
 * file delivered (also on a retry), uploads streamed rather than buffered, the size cap, exclusions,
 * timeouts, client disconnects and usage.
 */
import { afterAll, beforeEach, describe, expect, test } from 'bun:test';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { toFile } from 'openai';
import { expectOpenAIError } from '../support/app';
import type { ReceivedFile } from '../support/mock-upstream';
import { relayFixture } from '../support/relay-fixture';
import { makeWav } from './wav';

const MODELS = `
model_list:
  - model_name: whisper-test
    litellm_params: { model: openai/whisper-upstream, api_base: "{{base:main}}", api_key: os.environ/UPSTREAM_KEY }
    model_info: { mode: audio_transcriptions, aliases: [listen] }
  - model_name: broken-whisper
    litellm_params: { model: openai/broken-upstream, api_base: "{{base:broken}}" }
    model_info: { mode: audio_transcriptions }
  - model_name: slow-whisper
    litellm_params: { model: openai/slow-upstream, api_base: "{{base:slow}}", timeout: 0.4 }
    model_info: { mode: audio_transcriptions }
  - model_name: chat-test
    litellm_params: { model: openai/gpt-upstream, api_base: "{{base:main}}" }
    model_info: { mode: chat }
router_settings: { num_retries: 1, fallbacks: [{ broken-whisper: [whisper-test] }] }
`;

const MAX_AUDIO = 512 * 1024;
const f = relayFixture(MODELS, { settings: { maxAudioSize: MAX_AUDIO } });
afterAll(() => f.close());
beforeEach(() => f.reset());

const wav = makeWav(1.5); // 16 kHz mono 16-bit: 48,044 bytes
const sha = new Bun.CryptoHasher('sha256').update(wav).digest('hex');
const wavFile = () => toFile(wav, 'speech.wav', { type: 'audio/wav' });
const fileOf = (i = 0) => f.mock.received[i]!.body.file as ReceivedFile;
/** The spooled uploads left on disk, once their removal (asynchronous, after the call) has had a moment. */
async function spoolFiles(): Promise<string[]> {
  const list = () => readdirSync(join(f.gw.files.dir, '.incoming'));
  for (let i = 0; i < 50 && list().length > 0; i++) await Bun.sleep(10);
  return list();
}

/** A multipart request built by hand, its parts in the order given. */
function form(parts: [string, string | Blob][]): FormData {
  const fd = new FormData();
  for (const [name, value] of parts) typeof value === 'string' ? fd.append(name, value) : fd.append(name, value, 'speech.wav');
  return fd;
}
const post = (path: string, body: RequestInit['body'], init: { key?: string; headers?: Record<string, string>; signal?: AbortSignal } = {}) =>
  fetch(`${f.url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${init.key ?? f.gw.adminKey}`, ...init.headers }, body, signal: init.signal, duplex: 'half' } as RequestInit);

describe('transcriptions with the openai SDK', () => {
  test('json: the upstream gets the whole file and its own model name; tokens are recorded', async () => {
    const res = await f.client().audio.transcriptions.create({ file: await wavFile(), model: 'listen' });
    expect(res.text).toBe(`mock transcript of ${wav.byteLength} bytes (${sha.slice(0, 12)}) by whisper-upstream`);
    const got = f.mock.received[0]!;
    expect(got.path).toBe('/audio/transcriptions');
    expect(got.body.model).toBe('whisper-upstream');
    expect(fileOf()).toEqual({ filename: 'speech.wav', type: expect.stringMatching(/^audio\/(x-)?wav$/), size: wav.byteLength, sha256: sha });
    expect(got.headers.authorization).toBe('Bearer sk-upstream-secret'); // never the caller's gateway key
    expect(f.gw.usageRows()).toMatchObject([{ endpoint: 'transcriptions', model: 'whisper-test', deployment: 'whisper-test#0', status: 200, input_tokens: 49, output_tokens: 8, stream: 0 }]);
    // With token usage the seconds still come from the WAV itself.
    expect(f.gw.usageRows()[0]!.audio_seconds).toBe(1.5);
    expect(await spoolFiles()).toEqual([]);
  });

  test('verbose_json: the upstream’s duration is the usage', async () => {
    const res = await f.client().audio.transcriptions.create({ file: await wavFile(), model: 'whisper-test', response_format: 'verbose_json', timestamp_granularities: ['segment'] });
    expect(res).toMatchObject({ task: 'transcribe', duration: 9.5 });
    expect(f.mock.received[0]!.body).toMatchObject({ response_format: 'verbose_json', 'timestamp_granularities[]': 'segment' });
    expect(f.gw.usageRows()[0]).toMatchObject({ status: 200, audio_seconds: 9.5, input_tokens: 0, output_tokens: 0 });
  });

  for (const [format, start] of [['text', 'mock transcript'], ['srt', '1\n00:00:00,000 --> '], ['vtt', 'WEBVTT\n\n00:00:00.000 --> ']] as const) {
    test(`${format}: text/plain, the transcript as it came; the WAV’s seconds are the usage`, async () => {
      const { data, response } = await f.client().audio.transcriptions.create({ file: await wavFile(), model: 'whisper-test', response_format: format }).withResponse();
      expect(response.headers.get('content-type')).toBe('text/plain; charset=utf-8');
      expect(typeof data).toBe('string');
      expect(data as unknown as string).toStartWith(start);
      expect(data as unknown as string).toContain(`mock transcript of ${wav.byteLength} bytes (${sha.slice(0, 12)}) by whisper-upstream`);
      expect(f.gw.usageRows()[0]).toMatchObject({ endpoint: 'transcriptions', status: 200, audio_seconds: 1.5, input_tokens: 0 });
    });
  }

  test('stream: transcript.text.delta events, then transcript.text.done with the usage', async () => {
    const stream = await f.client().audio.transcriptions.create({ file: await wavFile(), model: 'whisper-test', stream: true });
    const events: any[] = [];
    for await (const e of stream) events.push(e);
    const text = `mock transcript of ${wav.byteLength} bytes (${sha.slice(0, 12)}) by whisper-upstream`;
    expect(events.filter((e) => e.type === 'transcript.text.delta').map((e) => e.delta).join('')).toBe(text);
    expect(events.at(-1)).toMatchObject({ type: 'transcript.text.done', text });
    expect(f.mock.received[0]!.body.stream).toBe('true');
    expect(f.gw.usageRows()).toMatchObject([{ status: 200, stream: 1, input_tokens: 49, output_tokens: 8, audio_seconds: 1.5, error_code: null }]);
  });

  test('translations: json and text', async () => {
    const json = await f.client().audio.translations.create({ file: await wavFile(), model: 'whisper-test' });
    expect(json.text).toBe(`mock translation of ${wav.byteLength} bytes (${sha.slice(0, 12)}) by whisper-upstream`);
    const { data, response } = await f.client().audio.translations.create({ file: await wavFile(), model: 'whisper-test', response_format: 'text' }).withResponse();
    expect(response.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(data as unknown as string).toStartWith('mock translation of');
    expect(f.mock.received.map((r) => r.path)).toEqual(['/audio/translations', '/audio/translations']);
    expect(f.gw.usageRows().map((r) => [r.endpoint, r.status, r.audio_seconds])).toEqual([['translations', 200, 1.5], ['translations', 200, 1.5]]);
  });
});

describe('the multipart request', () => {
  test('bare and /v1 paths; the model before or after the file; parts kept in order, user_id recorded not sent', async () => {
    for (const path of ['/audio/transcriptions', '/v1/audio/transcriptions']) {
      const before = await post(path, form([['model', 'whisper-test'], ['user_id', 'emmy'], ['file', new Blob([wav], { type: 'audio/wav' })], ['language', 'de']]));
      expect(before.status).toBe(200);
      const after = await post(path, form([['file', new Blob([wav], { type: 'audio/wav' })], ['language', 'de'], ['model', 'listen']]));
      expect(after.status).toBe(200);
      expect(((await after.json()) as { text: string }).text).toEndWith('by whisper-upstream');
    }
    expect(f.mock.received.map((r) => r.partOrder)).toEqual([
      ['model', 'file', 'language'], ['file', 'language', 'model'], ['model', 'file', 'language'], ['file', 'language', 'model'],
    ]);
    for (const r of f.mock.received) {
      expect(r.body.model).toBe('whisper-upstream');
      expect((r.body.file as ReceivedFile).sha256).toBe(sha);
    }
    expect(f.gw.usageRows().map((r) => r.end_user_id)).toEqual(['emmy', '', 'emmy', '']);
  });

  test('a missing file is a 400 naming it; nothing goes upstream', async () => {
    const e = await f.client().audio.transcriptions.create({ model: 'whisper-test' } as any).catch((err) => err);
    expect(e.status).toBe(400);
    expect(e.error).toMatchObject({ param: 'file', code: 'missing_required_parameter' });
    expect(e.message).toContain("'file'");
    const raw = await expectOpenAIError(await post('/v1/audio/translations', form([['model', 'whisper-test']])), 400);
    expect(raw.param).toBe('file');
    const noModel = await expectOpenAIError(await post('/v1/audio/transcriptions', form([['file', new Blob([wav])]])), 400);
    expect(noModel.param).toBe('model');
    expect(f.mock.received).toEqual([]);
  });

  test('not multipart → 415; a chat model → 400 naming the endpoints it serves; unknown → 404', async () => {
    expect((await expectOpenAIError(await post('/v1/audio/transcriptions', JSON.stringify({ model: 'whisper-test' }), { headers: { 'content-type': 'application/json' } }), 415)).code).toBe('unsupported_media_type');
    const chat = await expectOpenAIError(await post('/v1/audio/transcriptions', form([['model', 'chat-test'], ['file', new Blob([wav])]])), 400);
    expect(chat.message).toContain('/v1/chat/completions');
    expect((await expectOpenAIError(await post('/v1/audio/transcriptions', form([['model', 'nope'], ['file', new Blob([wav])]])), 404)).code).toBe('model_not_found');
    expect(f.mock.received).toEqual([]);
  });

  test('an excluded model is refused like chat (404, as if unknown), and not listed', async () => {
    const key = f.gw.newKey('no-audio@example.com');
    const user = await f.gw.directory.tokens.ensureUser('no-audio@example.com');
    await f.gw.directory.updateUser(user.id, { excludedModels: ['whisper-test'] });
    f.gw.keys.reload();
    const e = await f.client({ key }).audio.transcriptions.create({ file: await wavFile(), model: 'listen' }).catch((err) => err);
    expect(e.status).toBe(404);
    expect(e.error.code).toBe('model_not_found');
    const models = await f.client({ key }).models.list();
    expect(models.data.map((m) => m.id)).not.toContain('whisper-test');
    expect(models.data.map((m) => m.id)).toContain('broken-whisper');
    expect(f.mock.received).toEqual([]);
  });

  test('rate limits apply: with rpm 2 the third upload is refused with 429 and Retry-After, before anything goes upstream', async () => {
    const email = `rl${Math.random().toString(36).slice(2)}@example.com`;
    const key = f.gw.newKey(email);
    await f.gw.directory.updateUser((await f.gw.directory.userByEmail(email))!.id, { rpm: 2 });
    f.gw.keys.reload();
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await post('/v1/audio/transcriptions', form([['model', 'whisper-test'], ['file', new Blob([wav])]]), { key });
      statuses.push(res.status);
      if (res.status === 429) {
        expect(res.headers.get('retry-after')).toMatch(/^\d+$/);
        expect(((await res.json()) as any).error.code).toBe('rate_limit_exceeded');
      } else await res.arrayBuffer();
    }
    expect(statuses).toEqual([200, 200, 429]);
    expect(f.mock.received).toHaveLength(2);
  });

  test('audio_transcriptions models are listed', async () => {
    const ids = (await f.client().models.list()).data.map((m) => m.id);
    expect(ids).toEqual(['whisper-test', 'broken-whisper', 'slow-whisper', 'chat-test']);
  });
});

describe('routing, limits and failures', () => {
  test('a failed attempt is retried with the whole file again', async () => {
    f.mock.script('main', { status: 500 });
    const res = await f.client().audio.transcriptions.create({ file: await wavFile(), model: 'whisper-test' });
    expect(res.text).toEndWith('by whisper-upstream');
    expect(f.mock.received).toHaveLength(2);
    for (const r of f.mock.received) expect(r.body).toMatchObject({ model: 'whisper-upstream', file: { size: wav.byteLength, sha256: sha } });
    expect(f.gw.usageRows()).toMatchObject([{ status: 200, model: 'whisper-test' }]);
  });

  test('a model that keeps failing falls back to the next, which gets the whole file and its own model name', async () => {
    f.mock.script('broken', { status: 500 }, { status: 500 });
    const res = await f.client().audio.transcriptions.create({ file: await wavFile(), model: 'broken-whisper', response_format: 'text' });
    expect(res as unknown as string).toContain('by whisper-upstream');
    expect(f.mock.received.map((r) => [r.deployment, r.body.model, (r.body.file as ReceivedFile).sha256])).toEqual([
      ['broken', 'broken-upstream', sha],
      ['broken', 'broken-upstream', sha],
      ['main', 'whisper-upstream', sha],
    ]);
    expect(f.gw.usageRows()).toMatchObject([{ status: 200, model: 'whisper-test', deployment: 'whisper-test#0' }]);
  });

  test('an upstream that does not answer within the deployment timeout → 504', async () => {
    f.mock.script('slow', { stallMs: 1500 }, { stallMs: 1500 });
    const e = await f.client().audio.transcriptions.create({ file: await wavFile(), model: 'slow-whisper' }).catch((err) => err);
    expect(e.status).toBe(504);
    expect(f.gw.usageRows()[0]).toMatchObject({ status: 504, endpoint: 'transcriptions' });
  });

  test('a client that disconnects cancels the upstream call', async () => {
    f.mock.script('main', { stallMs: 3000 });
    const controller = new AbortController();
    const pending = f.client().audio.transcriptions.create({ file: await wavFile(), model: 'whisper-test' }, { signal: controller.signal }).catch((e) => e);
    for (let i = 0; i < 100 && f.mock.received[0]?.lastByteAt === undefined; i++) await Bun.sleep(10);
    expect(f.mock.received).toHaveLength(1);
    controller.abort();
    await pending;
    const abortedAt = Date.now();
    for (let i = 0; i < 100 && f.mock.received[0]!.abortedAt === undefined; i++) await Bun.sleep(10);
    expect(f.mock.received[0]!.abortedAt! - abortedAt).toBeLessThan(1000);
    for (let i = 0; i < 100 && f.gw.usageRows().length === 0; i++) await Bun.sleep(10);
    expect(f.gw.usageRows()[0]).toMatchObject({ status: 499, error_code: 'client_closed' });
    expect(await spoolFiles()).toEqual([]);
  });

  test('over the size cap: 413 in the OpenAI shape, by Content-Length or while streaming', async () => {
    const big = new Uint8Array(MAX_AUDIO + 2 * 1024 * 1024);
    const declared = await expectOpenAIError(await post('/v1/audio/transcriptions', form([['model', 'whisper-test'], ['file', new Blob([big])]])), 413);
    expect(declared).toMatchObject({ param: 'file', code: 'file_too_large' });
    expect(declared.message).toContain(String(MAX_AUDIO));
    // No Content-Length (chunked): cut off once the file passes the cap.
    const boundary = 'xyzzy';
    const head = new TextEncoder().encode(`--${boundary}\r\nContent-Disposition: form-data; name="model"\r\n\r\nwhisper-test\r\n--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.wav"\r\n\r\n`);
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(c) {
        if (sent === 0) c.enqueue(head);
        if (sent++ < 40) c.enqueue(new Uint8Array(64 * 1024));
        else c.close();
      },
    });
    const chunked = await expectOpenAIError(await post('/v1/audio/transcriptions', body, { headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } }), 413);
    expect(chunked.param).toBe('file');
    expect(f.gw.usageRows().filter((r) => r.status === 200)).toEqual([]);
    await Bun.sleep(50);
    expect(await spoolFiles()).toEqual([]);
  });

  test('the upload is not buffered: the upstream has its first bytes before the client sent its last', async () => {
    const boundary = 'slowupload';
    const enc = new TextEncoder();
    const piece = new Uint8Array(32 * 1024).fill(7);
    let i = 0;
    let finishedAt = 0;
    const body = new ReadableStream<Uint8Array>({
      async pull(c) {
        if (i === 0) c.enqueue(enc.encode(`--${boundary}\r\nContent-Disposition: form-data; name="model"\r\n\r\nwhisper-test\r\n--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.raw"\r\n\r\n`));
        if (i++ < 8) {
          await Bun.sleep(60);
          c.enqueue(piece);
        } else {
          c.enqueue(enc.encode(`\r\n--${boundary}--\r\n`));
          finishedAt = Date.now();
          c.close();
        }
      },
    });
    const res = await post('/v1/audio/transcriptions', body, { headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } });
    expect(res.status).toBe(200);
    const got = f.mock.received[0]!;
    expect((got.body.file as ReceivedFile).size).toBe(8 * piece.byteLength);
    // Eight pieces 60 ms apart: the upstream saw the start of the body well before the client's end.
    expect(finishedAt - got.firstByteAt!).toBeGreaterThan(200);
  });
});

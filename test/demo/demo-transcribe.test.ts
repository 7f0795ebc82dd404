/**
 * The demo transcription model (demo-transcribe, served by `aqueduct serve --demo`) through the official
 * openai SDK: a WAV made here is described by its length in every response format, streamed as transcript
 * events, translated, and metered in seconds of audio (or the stream's tokens).
 */
import { afterAll, beforeEach, describe, expect, test } from 'bun:test';
import OpenAI, { toFile } from 'openai';
import { DEMO_ROUTER_YAML } from '../../src/config/demo-models';
import { makeWav } from '../audio/wav';
import { testGateway } from '../support/app';

const gw = testGateway({ routerYaml: DEMO_ROUTER_YAML });
const url = gw.listen();
const client = new OpenAI({ apiKey: gw.adminKey, baseURL: `${url}/v1`, maxRetries: 0 });
afterAll(() => gw.close());
beforeEach(() => {
  gw.usage.flush();
  gw.db.sqlite.run('DELETE FROM usage');
});

const wav = (seconds: number) => toFile(makeWav(seconds), 'hello.wav', { type: 'audio/wav' });
const TEXT = 'Demo transcription of a WAV recording of 2.5 seconds.';

describe('demo-transcribe', () => {
  test('is listed with the demo models', async () => {
    const ids = (await client.models.list()).data.map((m) => m.id);
    expect(ids).toContain('demo-transcribe');
  });

  test('json and verbose_json describe the WAV; usage in seconds of audio', async () => {
    const json = await client.audio.transcriptions.create({ file: await wav(2.5), model: 'demo-transcribe' });
    expect(json).toEqual({ text: TEXT, usage: { type: 'duration', seconds: 3 } } as any);
    const verbose = await client.audio.transcriptions.create({ file: await wav(2.5), model: 'demo-transcribe', response_format: 'verbose_json' });
    expect(verbose).toMatchObject({ task: 'transcribe', language: 'english', duration: 2.5, text: TEXT, segments: [{ start: 0, end: 2.5, text: TEXT }] });
    // The upstream's usage (whisper style: whole seconds) is what is recorded.
    expect(gw.usageRows().map((r) => [r.model, r.endpoint, r.status, r.audio_seconds, r.input_tokens])).toEqual([
      ['demo-transcribe', 'transcriptions', 200, 3, 0],
      ['demo-transcribe', 'transcriptions', 200, 3, 0],
    ]);
  });

  test('text, srt and vtt come back as text/plain', async () => {
    const expected = {
      text: `${TEXT}\n`,
      srt: `1\n00:00:00,000 --> 00:00:02,500\n${TEXT}\n\n`,
      vtt: `WEBVTT\n\n00:00:00.000 --> 00:00:02.500\n${TEXT}\n\n`,
    };
    for (const format of ['text', 'srt', 'vtt'] as const) {
      const { data, response } = await client.audio.transcriptions.create({ file: await wav(2.5), model: 'demo-transcribe', response_format: format }).withResponse();
      expect(response.headers.get('content-type')).toBe('text/plain; charset=utf-8');
      expect(data as unknown as string).toBe(expected[format]);
    }
    // No usage in a text answer: the gateway reads the seconds from the WAV itself.
    expect(gw.usageRows().map((r) => r.audio_seconds)).toEqual([2.5, 2.5, 2.5]);
  });

  test('stream: the transcript word by word, then done with token usage', async () => {
    const stream = await client.audio.transcriptions.create({ file: await wav(2.5), model: 'demo-transcribe', stream: true });
    const events: any[] = [];
    for await (const e of stream) events.push(e);
    expect(events.slice(0, 2)).toEqual([
      { type: 'transcript.text.delta', delta: 'Demo ', logprobs: [] },
      { type: 'transcript.text.delta', delta: 'transcription ', logprobs: [] },
    ]);
    expect(events.at(-1)).toMatchObject({ type: 'transcript.text.done', text: TEXT, usage: { type: 'tokens', input_tokens: 25, output_tokens: 9 } });
    expect(gw.usageRows()).toMatchObject([{ status: 200, stream: 1, input_tokens: 25, output_tokens: 9, audio_seconds: 2.5 }]);
  });

  test('translations, and a file that is not a WAV', async () => {
    const t = await client.audio.translations.create({ file: await wav(1), model: 'demo-transcribe' });
    expect(t.text).toBe('Demo translation of a WAV recording of 1 second.');
    const mp3 = await client.audio.transcriptions.create({ file: await toFile(new Uint8Array(1000), 'x.mp3'), model: 'demo-transcribe' });
    expect(mp3.text).toBe('Demo transcription of 1000 bytes of audio that is not a WAV file.');
  });
});

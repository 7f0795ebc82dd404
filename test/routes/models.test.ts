import { describe, expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expectOpenAIError, testGateway } from '../support/app';

const routerYaml = readFileSync(join(import.meta.dir, '../fixtures/aqueduct-example-router-config.yaml'), 'utf8') +
  `- model_name: Qwen/Qwen2.5-7B
  litellm_params: { model: hosted_vllm/Qwen/Qwen2.5-7B, api_base: "http://127.0.0.1:1/v1" }
`;

describe('/models', () => {
  const gw = testGateway({ routerYaml, env: { OPENAI_API_KEY: 'sk-up' } });

  test('lists configured model names, not aliases, owned by aqueduct', async () => {
    for (const path of ['/models', '/v1/models']) {
      const res = await gw.request('GET', path);
      expect(res.status).toBe(200);
      const body = (await res.json()) as { object: string; data: { id: string; object: string; created: number; owned_by: string }[] };
      expect(body.object).toBe('list');
      expect(body.data.map((m) => m.id)).toEqual(['gpt-4.1-nano', 'text-embedding-ada-002', 'gpt-4o-mini-tts', 'whisper-1', 'dall-e-2', 'Qwen/Qwen2.5-7B']);
      for (const m of body.data) {
        expect(m.object).toBe('model');
        expect(m.owned_by).toBe('aqueduct');
        expect(Math.abs(m.created - Date.now() / 1000)).toBeLessThan(60);
      }
    }
  });

  test('retrieve by name or alias; names with a slash', async () => {
    let res = await gw.request('GET', '/v1/models/main');
    expect(await res.json()).toMatchObject({ id: 'gpt-4.1-nano', object: 'model' });
    res = await gw.request('GET', '/models/dall-e-2');
    expect(await res.json()).toMatchObject({ id: 'dall-e-2' });
    res = await gw.request('GET', '/v1/models/Qwen/Qwen2.5-7B');
    expect(await res.json()).toMatchObject({ id: 'Qwen/Qwen2.5-7B' });
    res = await gw.request('GET', '/v1/models/Qwen%2FQwen2.5-7B');
    expect(await res.json()).toMatchObject({ id: 'Qwen/Qwen2.5-7B' });
  });

  test('unknown model → 404 model_not_found; aliases are case-sensitive', async () => {
    for (const name of ['gpt-9', 'Main', 'Transcribe']) {
      const e = await expectOpenAIError(await gw.request('GET', `/v1/models/${name}`), 404);
      expect(e).toMatchObject({ code: 'model_not_found', param: 'model' });
      expect(e.message).toContain(name);
    }
  });

  test('an audio_transcriptions model is listed by its aliases too, and refused by the JSON endpoints, which it does not serve', async () => {
    expect(await (await gw.request('GET', '/v1/models/stt')).json()).toMatchObject({ id: 'whisper-1' });
    const calls: [string, object][] = [
      ['/v1/chat/completions', { model: 'whisper-1', messages: [{ role: 'user', content: 'hi' }] }],
      ['/v1/embeddings', { model: 'stt', input: 'hi' }],
      ['/v1/audio/speech', { model: 'whisper-1', input: 'hi', voice: 'alloy' }],
    ];
    for (const [path, body] of calls) {
      const e = await expectOpenAIError(await gw.request('POST', path, { body }), 400);
      expect(e).toMatchObject({ code: 'model_not_supported', param: 'model' });
      expect(e.message).toContain('/v1/audio/transcriptions, /v1/audio/translations');
    }
  });
});

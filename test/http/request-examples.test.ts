/** The API document's example bodies name a configured model of the right mode, else the demo provider's. */
import { describe, expect, test } from 'bun:test';
import { emptyRouterConfig, parseRouterConfig } from '../../src/config/router-config';
import { DEMO_MODELS, requestExamples } from '../../src/http/request-examples';

const router = (yaml: string) => {
  const parsed = parseRouterConfig(yaml, {});
  expect(parsed.problems).toEqual([]);
  return parsed.config;
};
const models = (r: Parameters<typeof requestExamples>[0]) => Object.fromEntries(Object.entries(requestExamples(r)).map(([k, v]) => [k, v.model]));

describe('request examples', () => {
  test('no models: the demo provider’s default models', () => {
    expect(models(emptyRouterConfig())).toEqual(DEMO_MODELS);
    expect(DEMO_MODELS).toEqual({ chat: 'demo-chat', completions: 'demo-completion', embeddings: 'demo-embedding', speech: 'demo-tts', images: 'demo-image', transcriptions: 'demo-transcribe', translations: 'demo-transcribe', responses: 'demo-chat' });
  });

  test('each endpoint gets the first model made for it; a model without a mode serves the rest', () => {
    const r = router(`
model_list:
  - { model_name: any, litellm_params: { model: openai/a } }
  - { model_name: text, litellm_params: { model: openai/t }, model_info: { mode: completion } }
  - { model_name: chat-1, litellm_params: { model: openai/c1 }, model_info: { mode: chat } }
  - { model_name: chat-2, litellm_params: { model: openai/c2 }, model_info: { mode: chat } }
  - { model_name: embed, litellm_params: { model: openai/e }, model_info: { mode: embedding } }
`);
    expect(models(r)).toEqual({ chat: 'chat-1', completions: 'text', embeddings: 'embed', speech: 'any', images: 'any', transcriptions: 'any', translations: 'any', responses: 'chat-1' });
  });

  test('a chat model serves /completions when no completion model exists; other modes fall back to the demo', () => {
    const r = router(`
model_list:
  - { model_name: chat, litellm_params: { model: openai/c }, model_info: { mode: chat } }
`);
    expect(models(r)).toEqual({ chat: 'chat', completions: 'chat', embeddings: 'demo-embedding', speech: 'demo-tts', images: 'demo-image', transcriptions: 'demo-transcribe', translations: 'demo-transcribe', responses: 'chat' });
  });

  test('the bodies are complete requests for their endpoint', () => {
    const ex = requestExamples(emptyRouterConfig());
    expect(ex.chat).toEqual({ model: 'demo-chat', messages: [{ role: 'user', content: expect.any(String) }] });
    expect(ex.speech).toMatchObject({ model: 'demo-tts', input: expect.any(String), voice: expect.any(String) });
  });
});

/**
 * Example request bodies for the model endpoints in the API document, each naming a model that is
 * configured for that endpoint, so that "Try it out" in Swagger UI reaches a real model. Computed once
 * when the app is built (the router config is reloaded by restarting).
 */
import type { ModelMode, RouterConfig } from '../config/router-config';
import { ENDPOINTS, type EndpointName } from '../config/endpoints';

/** The built-in demo provider's default models: used when no configured model fits an endpoint. */
export const DEMO_MODELS: Record<EndpointName, string> = {
  chat: 'demo-chat',
  completions: 'demo-completion',
  embeddings: 'demo-embedding',
  speech: 'demo-tts',
  images: 'demo-image',
  transcriptions: 'demo-transcribe',
  translations: 'demo-transcribe',
  responses: 'demo-chat',
};

const BODIES: Record<EndpointName, (model: string) => Record<string, unknown>> = {
  chat: (model) => ({ model, messages: [{ role: 'user', content: 'Say hello in one short sentence.' }] }),
  completions: (model) => ({ model, prompt: 'Once upon a time', max_tokens: 16 }),
  embeddings: (model) => ({ model, input: 'The quick brown fox jumps over the lazy dog.' }),
  speech: (model) => ({ model, input: 'Hello from Aqueduct.', voice: 'alloy' }),
  images: (model) => ({ model, prompt: 'A stone aqueduct at sunset, watercolour', n: 1 }),
  // Multipart: the model field only (the file is the caller's).
  transcriptions: (model) => ({ model, response_format: 'json' }),
  translations: (model) => ({ model, response_format: 'json' }),
  responses: (model) => ({ model, instructions: 'Answer briefly.', input: 'Say hello in one short sentence.' }),
};

/** The mode each endpoint is made for (chat models also serve /completions and the other way round). */
const PREFERRED: Record<EndpointName, ModelMode> = {
  chat: 'chat',
  completions: 'completion',
  embeddings: 'embedding',
  speech: 'audio_speech',
  images: 'image_generations',
  transcriptions: 'audio_transcriptions',
  translations: 'audio_transcriptions',
  responses: 'chat',
};

/**
 * The first configured model (in config order) made for the endpoint; else one whose mode serves it;
 * else one without a mode (it serves every endpoint); else the demo provider's model.
 */
export function exampleModel(router: RouterConfig, endpoint: EndpointName): string {
  const models = [...router.models.values()];
  const serves: readonly ModelMode[] = ENDPOINTS[endpoint].modes;
  const match =
    models.find((m) => m.mode === PREFERRED[endpoint]) ??
    models.find((m) => m.mode !== undefined && serves.includes(m.mode)) ??
    models.find((m) => m.mode === undefined);
  return match?.name ?? DEMO_MODELS[endpoint];
}

export type RequestExamples = Record<EndpointName, Record<string, unknown>>;

export function requestExamples(router: RouterConfig): RequestExamples {
  const out = {} as RequestExamples;
  for (const name of Object.keys(ENDPOINTS) as EndpointName[]) out[name] = BODIES[name](exampleModel(router, name));
  return out;
}

/** The model endpoints the gateway relays, and which model modes serve each. */
import type { ModelMode } from './router-config';

export type EndpointName = 'chat' | 'completions' | 'embeddings' | 'speech' | 'images' | 'transcriptions' | 'translations' | 'responses';

export interface Endpoint {
  name: EndpointName;
  /** Path below the provider's base URL, and below /v1 on the gateway. */
  path: string;
  /** The gateway path under /v1 (how the access log and metrics name the route). */
  v1Path: string;
  /** Modes whose models serve this endpoint (a model without a mode serves every endpoint). */
  modes: readonly ModelMode[];
  /** Chat, completions and responses stream SSE and carry token usage in their events. */
  sseUsage: boolean;
  /** The request is multipart/form-data with an audio `file` part, streamed to the upstream (not JSON). */
  multipart?: boolean;
}

export const ENDPOINTS: Record<EndpointName, Endpoint> = {
  chat: { name: 'chat', path: '/chat/completions', v1Path: '/v1/chat/completions', modes: ['chat', 'completion'], sseUsage: true },
  completions: { name: 'completions', path: '/completions', v1Path: '/v1/completions', modes: ['chat', 'completion'], sseUsage: true },
  embeddings: { name: 'embeddings', path: '/embeddings', v1Path: '/v1/embeddings', modes: ['embedding'], sseUsage: false },
  speech: { name: 'speech', path: '/audio/speech', v1Path: '/v1/audio/speech', modes: ['audio_speech'], sseUsage: false },
  images: { name: 'images', path: '/images/generations', v1Path: '/v1/images/generations', modes: ['image_generations'], sseUsage: false },
  transcriptions: { name: 'transcriptions', path: '/audio/transcriptions', v1Path: '/v1/audio/transcriptions', modes: ['audio_transcriptions'], sseUsage: false, multipart: true },
  translations: { name: 'translations', path: '/audio/translations', v1Path: '/v1/audio/translations', modes: ['audio_transcriptions'], sseUsage: false, multipart: true },
  /** The Responses API: relayed (native) or translated to chat completions, per deployment (model_info.responses_api). */
  responses: { name: 'responses', path: '/responses', v1Path: '/v1/responses', modes: ['chat'], sseUsage: true },
};

/** The gateway paths a model of this mode serves, for the 400 that names them. */
export function pathsForMode(mode: ModelMode): string[] {
  return Object.values(ENDPOINTS)
    .filter((e) => e.modes.includes(mode))
    .map((e) => `/v1${e.path}`);
}

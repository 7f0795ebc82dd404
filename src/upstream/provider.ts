/**
 * The provider contract: turn one call (an OpenAI-format body for one endpoint) into an upstream HTTP
 * exchange and give back a Response in the OpenAI wire format. An adapter owns four things:
 *  - the request: URL, headers (the deployment's own credentials, never the caller's key) and body
 *    (`prepare`; it throws when the call cannot be encoded, e.g. an endpoint the provider does not serve:
 *    the caller's problem, a 400, never counted against a deployment);
 *  - the answer: a JSON answer mapped to the OpenAI JSON answer;
 *  - the stream: upstream events mapped to OpenAI chunks by a stateful mapper, ending with `[DONE]`;
 *  - errors: an OpenAI error body with the upstream status kept, and which statuses are worth another
 *    attempt (`retryable`; default 429 and 5xx, see upstream-error.ts).
 * Routing, retries, fallbacks, limits, metering and usage only ever see OpenAI-format Responses. The
 * OpenAI-compatible adapter maps nothing (identity); translating adapters (one folder each under
 * providers/) build on translating.ts. Adding a provider: a folder under providers/, a line below, its
 * prefix in config/providers.ts.
 */
import type { Deployment } from '../config/router-config';
import type { Endpoint } from '../config/endpoints';
import { OPENAI_COMPATIBLE_PREFIXES } from '../config/providers';
import { openAICompatible } from './openai-compatible';
import { anthropicProvider } from './providers/anthropic';
import { demoProvider } from './providers/demo';
import { cloudProviderFor } from './providers/cloud';
import { nativeResponses, translatedResponses } from './responses/translated';

export interface ProviderCall {
  endpoint: Endpoint;
  deployment: Deployment;
  /** The caller's body with `model` already set to the deployment's upstream model. */
  body: Record<string, unknown>;
}

export interface Provider<Prepared = unknown> {
  /** Builds the upstream request; throws when the call cannot be encoded. */
  prepare(call: ProviderCall): Prepared;
  /** Sends it; resolves with the answer (2xx) or the error, both in the OpenAI wire format. */
  send(prepared: Prepared, signal: AbortSignal): Promise<Response>;
  /** Whether an upstream error status is worth another attempt; absent: 429 and 5xx. */
  retryable?(status: number): boolean;
}

/**
 * The native request of a call that arrived in a provider's own format (e.g. Anthropic's /v1/messages),
 * kept on the translated OpenAI body under this symbol (never serialized). An adapter for that format
 * may send it as is instead of translating the OpenAI body back; every other adapter ignores it.
 */
export const NATIVE_REQUEST = Symbol('native request');
export interface NativeRequest {
  /** The format, e.g. 'anthropic'. */
  format: string;
  body: Record<string, unknown>;
}

/**
 * The provider of a deployment; for /responses, its chat translation on a `responses_api: translated`
 * deployment, or its own Responses API (which continues chains the gateway kept) on a native one.
 */
export function providerFor(deployment: Deployment, endpoint?: Endpoint): Provider {
  const base = baseProvider(deployment);
  if (endpoint?.name !== 'responses') return base;
  return deployment.responsesApi === 'translated' ? (translatedResponses(base) as Provider) : nativeResponses(base);
}

function baseProvider(deployment: Deployment): Provider {
  if (deployment.provider in OPENAI_COMPATIBLE_PREFIXES) return openAICompatible as Provider;
  if (deployment.provider === 'demo') return demoProvider as Provider;
  if (deployment.provider === 'anthropic') return anthropicProvider as Provider;
  const cloud = cloudProviderFor(deployment.provider);
  if (cloud !== undefined) return cloud;
  // check-config refuses other providers, so this is a programming error.
  throw new Error(`no provider implementation for "${deployment.provider}"`);
}

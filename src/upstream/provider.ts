/**
 * The provider contract: turn one call into an upstream HTTP exchange and give back a Response in the
 * OpenAI wire format. Building the request (`prepare`) is separate from sending it (`send`), so a request
 * that cannot be built (a body that cannot be encoded) is the caller's problem, never counted against a
 * deployment. OpenAI-compatible servers need no translation; a translating provider (Anthropic, Azure,
 * Gemini) would map the request and re-encode the response and its stream, so that routing, metering and
 * streaming never change.
 */
import type { Deployment } from '../config/router-config';
import type { Endpoint } from '../config/endpoints';
import { OPENAI_COMPATIBLE_PREFIXES } from '../config/providers';
import { openAICompatible } from './openai-compatible';
import { demoProvider } from './providers/demo';
import { translatedResponses } from './responses/translated';

export interface ProviderCall {
  endpoint: Endpoint;
  deployment: Deployment;
  /** The caller's body with `model` already set to the deployment's upstream model. */
  body: Record<string, unknown>;
}

export interface Provider<Prepared = unknown> {
  /** Builds the upstream request; throws when the call cannot be encoded. */
  prepare(call: ProviderCall): Prepared;
  send(prepared: Prepared, signal: AbortSignal): Promise<Response>;
}

/** The provider of a deployment; for /responses on a `responses_api: translated` deployment, its chat translation. */
export function providerFor(deployment: Deployment, endpoint?: Endpoint): Provider {
  const base = baseProvider(deployment);
  return endpoint?.name === 'responses' && deployment.responsesApi === 'translated' ? (translatedResponses(base) as Provider) : base;
}

function baseProvider(deployment: Deployment): Provider {
  if (deployment.provider in OPENAI_COMPATIBLE_PREFIXES) return openAICompatible as Provider;
  if (deployment.provider === 'demo') return demoProvider as Provider;
  // check-config refuses other providers, so this is a programming error.
  throw new Error(`no provider implementation for "${deployment.provider}"`);
}

/**
 * The provider contract: turn one call into an upstream HTTP exchange and give back a Response in the
 * OpenAI wire format. OpenAI-compatible servers need no translation; a translating provider (Anthropic,
 * Azure, Gemini) would map the request and re-encode the response and its stream inside `send`, so that
 * routes, routing, metering and streaming never change.
 */
import type { Deployment } from '../config/router-config';
import type { Endpoint } from './endpoints';
import { openAICompatible } from './openai-compatible';
import { OPENAI_COMPATIBLE_PREFIXES } from './provider-prefixes';
import { demoProvider } from './providers/demo';

export interface ProviderCall {
  endpoint: Endpoint;
  deployment: Deployment;
  /** The caller's body with `model` already set to the deployment's upstream model. */
  body: Record<string, unknown>;
  signal: AbortSignal;
}

export interface Provider {
  send(call: ProviderCall): Promise<Response>;
}

export function providerFor(deployment: Deployment): Provider {
  if (deployment.provider in OPENAI_COMPATIBLE_PREFIXES) return openAICompatible;
  if (deployment.provider === 'demo') return demoProvider;
  // check-config refuses other providers, so this is a programming error.
  throw new Error(`no provider implementation for "${deployment.provider}"`);
}

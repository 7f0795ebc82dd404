/** The cloud providers by LiteLLM prefix (each in its own folder); their settings: config/cloud-params.ts. */
import type { Provider } from '../provider';
import { azureProvider } from './azure';
import { bedrockProvider } from './bedrock';
import { googleProvider } from './google';

const CLOUD: Record<string, Provider> = {
  azure: azureProvider as Provider,
  gemini: googleProvider as Provider,
  vertex_ai: googleProvider as Provider,
  bedrock: bedrockProvider as Provider,
};

export function cloudProviderFor(prefix: string): Provider | undefined {
  return CLOUD[prefix];
}

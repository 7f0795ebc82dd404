/** The cloud providers by LiteLLM prefix (each in its own folder); their settings: config/cloud-params.ts. */
import type { Provider } from '../provider';
import { azureProvider } from './azure';

const CLOUD: Record<string, Provider> = {
  azure: azureProvider as Provider,
};

export function cloudProviderFor(prefix: string): Provider | undefined {
  return CLOUD[prefix];
}

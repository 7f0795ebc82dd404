/**
 * LiteLLM provider prefixes that speak the OpenAI wire format, with the base URL LiteLLM uses when a
 * deployment sets no `api_base`. `undefined` means the deployment must set `api_base` itself.
 * Providers with their own wire format are in TRANSLATED_PREFIXES below.
 */
export const OPENAI_COMPATIBLE_PREFIXES: Readonly<Record<string, string | undefined>> = {
  openai: 'https://api.openai.com/v1',
  'text-completion-openai': 'https://api.openai.com/v1',
  custom_openai: undefined,
  openai_like: undefined,
  hosted_vllm: undefined,
  vllm: undefined,
  litellm_proxy: undefined,
  lm_studio: 'http://localhost:1234/v1',
  llamafile: 'http://127.0.0.1:8080/v1',
  xinference: 'http://127.0.0.1:9997/v1',
  deepinfra: 'https://api.deepinfra.com/v1/openai',
  together_ai: 'https://api.together.xyz/v1',
  groq: 'https://api.groq.com/openai/v1',
  fireworks_ai: 'https://api.fireworks.ai/inference/v1',
  mistral: 'https://api.mistral.ai/v1',
  deepseek: 'https://api.deepseek.com/v1',
  openrouter: 'https://openrouter.ai/api/v1',
  perplexity: 'https://api.perplexity.ai',
  nvidia_nim: 'https://integrate.api.nvidia.com/v1',
};

/** Providers that answer inside the gateway itself: no api_base, no api_key (src/upstream/providers/). */
export const BUILT_IN_PREFIXES: ReadonlySet<string> = new Set(['demo']);

/**
 * Providers with their own wire format that the gateway translates (src/upstream/providers/<name>/):
 * the api_base LiteLLM uses when none is set, and the litellm_params a deployment must set. (azure/,
 * gemini/, vertex_ai/ and bedrock/ are translated too; their settings are read by config/cloud-params.ts.)
 */
export const TRANSLATED_PREFIXES: Readonly<Record<string, { apiBase: string | undefined; required: readonly string[] }>> = {
  anthropic: { apiBase: 'https://api.anthropic.com', required: ['api_key'] },
};

/** Prefixes LiteLLM knows whose wire format needs translation not written yet; named so the error can say "not yet". */
export const TRANSLATING_PREFIXES = new Set([
  'azure_ai',
  'cohere',
  'ollama',
  'ollama_chat',
  'huggingface',
  'replicate',
  'sagemaker',
  'watsonx',
]);

/**
 * Splits `provider/upstream-model`. A model with no slash is an OpenAI model (LiteLLM's default); the
 * caller checks whether the provider is one we speak.
 */
export function splitProviderModel(model: string): { provider: string; upstreamModel: string } {
  const slash = model.indexOf('/');
  if (slash <= 0) return { provider: 'openai', upstreamModel: model };
  return { provider: model.slice(0, slash), upstreamModel: model.slice(slash + 1) };
}

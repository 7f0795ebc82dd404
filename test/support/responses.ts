/** Shared by the Responses API tests: a native and a chat-only (translated) model on the mock upstream. */

export const RESPONSES_MODELS = `
model_list:
  - model_name: native-model
    litellm_params: { model: openai/gpt-upstream, api_base: "{{base:native}}", api_key: os.environ/UPSTREAM_KEY }
    model_info: { mode: chat, responses_api: native }
  - model_name: chat-only
    litellm_params: { model: hosted_vllm/llama-upstream, api_base: "{{base:chatonly}}", api_key: os.environ/UPSTREAM_KEY }
    model_info: { mode: chat }
`;

/** The HTTP status a call ends with (the SDK's promises are lazy: await them, do not inspect them). */
export const statusOf = (p: PromiseLike<unknown>): Promise<number> => Promise.resolve(p).then(() => 200, (e: { status?: number }) => e.status ?? 0);

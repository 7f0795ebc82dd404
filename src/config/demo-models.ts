/**
 * The models `aqueduct serve --demo` (AQUEDUCT_DEMO) serves when no router config is given: one per
 * endpoint, all answered in-process by the built-in demo provider. Kept as router_config.yaml text so the
 * batch workers, which build their own router from the config's text, serve exactly the same models.
 */
export const DEMO_MODEL_NAMES = ['demo-chat', 'demo-completion', 'demo-embedding', 'demo-tts', 'demo-image'] as const;

export const DEMO_ROUTER_YAML = `# Built-in demo models (aqueduct serve --demo): answered by the gateway itself, not by a real model.
model_list:
  - model_name: demo-chat
    litellm_params: { model: demo/demo-chat }
    model_info: { mode: chat }
  - model_name: demo-completion
    litellm_params: { model: demo/demo-completion }
    model_info: { mode: completion }
  - model_name: demo-embedding
    litellm_params: { model: demo/demo-embedding }
    model_info: { mode: embedding }
  - model_name: demo-tts
    litellm_params: { model: demo/demo-tts }
    model_info: { mode: audio_speech }
  - model_name: demo-image
    litellm_params: { model: demo/demo-image }
    model_info: { mode: image_generations }
`;

/** Where the demo models come from in logs and problem messages. */
export const DEMO_SOURCE = '(built-in demo models)';

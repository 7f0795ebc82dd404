/**
 * The models `aqueduct serve --demo` (AQUEDUCT_DEMO) serves when no router config is given: one per
 * endpoint, all answered in-process by the built-in demo provider. Kept as router_config.yaml text so the
 * batch workers, which build their own router from the config's text, serve exactly the same models.
 */
const DEMO_MODELS = [
  ['demo-chat', 'chat'],
  ['demo-completion', 'completion'],
  ['demo-embedding', 'embedding'],
  ['demo-tts', 'audio_speech'],
  ['demo-image', 'image_generations'],
  ['demo-transcribe', 'audio_transcriptions'],
] as const;

export const DEMO_MODEL_NAMES = DEMO_MODELS.map(([name]) => name);

export const DEMO_ROUTER_YAML = `# Built-in demo models (aqueduct serve --demo): answered by the gateway itself, not by a real model.
model_list:
${DEMO_MODELS.map(([name, mode]) => `  - { model_name: ${name}, litellm_params: { model: demo/${name} }, model_info: { mode: ${mode} } }\n`).join('')}`;

/** Where the demo models come from in logs and problem messages. */
export const DEMO_SOURCE = '(built-in demo models)';

/** model_info.responses_api: how each deployment serves /v1/responses, its defaults per provider, and its problems. */
import { expect, test } from 'bun:test';
import { parseRouterConfig } from '../../src/config/router-config';

const modes = (yaml: string) => {
  const parsed = parseRouterConfig(yaml, {});
  return { problems: parsed.problems, modes: [...parsed.config.models.values()].flatMap((m) => m.deployments.map((d) => `${d.id}=${d.responsesApi}`)) };
};

test('defaults: native for OpenAI itself, translated for any other upstream and for the demo provider; a setting wins', () => {
  expect(
    modes(`
model_list:
  - { model_name: real-openai, litellm_params: { model: openai/gpt-4.1-nano } }
  - { model_name: openai-elsewhere, litellm_params: { model: openai/x, api_base: "http://127.0.0.1:9/v1" } }
  - { model_name: vllm, litellm_params: { model: hosted_vllm/llama, api_base: "http://127.0.0.1:9/v1" } }
  - { model_name: vllm-native, litellm_params: { model: hosted_vllm/llama, api_base: "http://127.0.0.1:9/v1" }, model_info: { responses_api: native } }
  - { model_name: openai-translated, litellm_params: { model: openai/gpt-4.1-nano }, model_info: { responses_api: translated } }
  - { model_name: demo, litellm_params: { model: demo/chat } }
`),
  ).toEqual({
    problems: [],
    modes: ['real-openai#0=native', 'openai-elsewhere#1=translated', 'vllm#2=translated', 'vllm-native#3=native', 'openai-translated#4=translated', 'demo#5=translated'],
  });
});

test('an unknown mode, and native on the demo provider, are problems that name the entry', () => {
  const { problems } = modes(`
model_list:
  - { model_name: a, litellm_params: { model: openai/a }, model_info: { responses_api: relayed } }
  - { model_name: b, litellm_params: { model: demo/b }, model_info: { responses_api: native } }
`);
  expect(problems).toHaveLength(2);
  expect(problems[0]).toContain('model_list[0].model_info.responses_api');
  expect(problems[0]).toContain('native, translated');
  expect(problems[1]).toContain('model_list[1].model_info.responses_api');
  expect(problems[1]).toContain('translation only');
});

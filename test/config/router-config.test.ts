import { describe, expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseRouterConfig, resolveModel } from '../../src/config/router-config';

const example = readFileSync(join(import.meta.dir, '../fixtures/aqueduct-example-router-config.yaml'), 'utf8');

describe('router_config.yaml', () => {
  test("Aqueduct's example config loads unchanged", () => {
    const { config, problems, warnings } = parseRouterConfig(example, { OPENAI_API_KEY: 'sk-upstream' });
    expect(problems).toEqual([]);
    // every mode is served, whisper-1 (audio_transcriptions) too: no warnings
    expect([...config.models.keys()]).toEqual(['gpt-4.1-nano', 'text-embedding-ada-002', 'gpt-4o-mini-tts', 'whisper-1', 'dall-e-2']);
    expect(warnings).toEqual([]);
    for (const name of ['whisper-1', 'transcribe', 'stt']) expect(resolveModel(config, name)?.mode).toBe('audio_transcriptions');
    expect(resolveModel(config, 'main')?.name).toBe('gpt-4.1-nano');
    expect(resolveModel(config, 'Main')).toBeUndefined(); // aliases are case-sensitive
    const embed = resolveModel(config, 'embed')!;
    expect(embed.mode).toBe('embedding');
    expect(embed.requestLimitMultiplier).toBe(2);
    const d = config.models.get('gpt-4.1-nano')!.deployments[0]!;
    expect(d).toMatchObject({ provider: 'openai', upstreamModel: 'gpt-4.1-nano', apiKey: 'sk-upstream', apiBase: 'https://api.openai.com/v1' });
    expect(config.settings.numRetries).toBe(2); // our default when the config sets none
  });

  test('reports every problem at once, with its location', () => {
    const yaml = `
model_list:
  - model_name: a
    litellm_params: { model: openai/a, api_key: os.environ/MISSING_KEY, api_base: "not a url", colour: blue }
    model_info: { aliases: [x], mode: chat-ish }
  - model_name: b
    litellm_params: { model: anthropic/claude }
    model_info: { aliases: [x] }
  - model_name: c
    litellm_params: { model: madeup/thing }
  - model_name: d
    litellm_params: { model: hosted_vllm/llama }
routing_strategy: usage-based-routing
fallbacks: [{ a: [nowhere] }]
num_retries: -1
surprise: true
`;
    const { problems } = parseRouterConfig(yaml, {});
    const text = problems.join('\n');
    expect(text).toContain('model_list[0].litellm_params.api_key: environment variable MISSING_KEY is not set');
    expect(text).toContain('model_list[0].litellm_params.api_base: not a valid http(s) URL');
    expect(text).toContain('model_list[0].litellm_params.colour: unknown key');
    expect(text).toContain('model_list[0].model_info.mode: expected one of');
    expect(text).toContain('model_list[1].litellm_params.api_key: required for provider "anthropic" (e.g. os.environ/ANTHROPIC_API_KEY)');
    expect(text).toContain('unknown provider prefix "madeup"');
    expect(text).toContain('model_list[3].litellm_params.api_base: required for provider "hosted_vllm"');
    expect(text).toContain('duplicate alias "x"');
    expect(text).toContain('routing_strategy: unsupported "usage-based-routing"');
    expect(text).toContain('unknown fallback model "nowhere"');
    expect(text).toContain('num_retries: expected a non-negative integer');
    expect(text).toContain('surprise: unknown key');
    expect(problems.length).toBe(12);
  });

  test('anthropic/ deployments load with LiteLLM parameter names: default api_base, api_key required, anthropic_version', () => {
    const yaml = `
model_list:
  - model_name: claude
    litellm_params: { model: anthropic/claude-sonnet-4-5, api_key: os.environ/ANTHROPIC_API_KEY }
  - model_name: claude-pinned
    litellm_params: { model: anthropic/claude-haiku-4-5, api_key: k, api_base: "https://proxy.example/anthropic/", anthropic_version: "2023-01-01", extra_headers: { anthropic-beta: x } }
`;
    const { config, problems } = parseRouterConfig(yaml, { ANTHROPIC_API_KEY: 'sk-ant-1' });
    expect(problems).toEqual([]);
    expect(config.models.get('claude')!.deployments[0]).toMatchObject({ provider: 'anthropic', upstreamModel: 'claude-sonnet-4-5', apiKey: 'sk-ant-1', apiBase: 'https://api.anthropic.com' });
    expect(config.models.get('claude-pinned')!.deployments[0]).toMatchObject({ apiBase: 'https://proxy.example/anthropic', extraHeaders: { 'anthropic-beta': 'x', 'anthropic-version': '2023-01-01' } });
    const bad = parseRouterConfig(`
model_list:
  - model_name: c
    litellm_params: { model: anthropic/claude, anthropic_version: 1 }
  - model_name: o
    litellm_params: { model: openai/gpt, anthropic_version: "2023-06-01" }
`, {}).problems;
    expect(bad).toEqual([
      'router_config.yaml: model_list[0].litellm_params.api_key: required for provider "anthropic" (e.g. os.environ/ANTHROPIC_API_KEY)',
      'router_config.yaml: model_list[0].litellm_params.anthropic_version: expected a string such as "2023-06-01"',
      'router_config.yaml: model_list[1].litellm_params.anthropic_version: only for anthropic/ deployments, not "openai"',
    ]);
  });

  test('several deployments under one name, routing settings and fallbacks (aliases resolved)', () => {
    const yaml = `
model_list:
  - model_name: chat
    litellm_params: { model: openai/gpt-a, api_base: "http://127.0.0.1:1/v1/", timeout: 5, weight: 3 }
    model_info: { aliases: [fast] }
  - model_name: chat
    litellm_params: { model: hosted_vllm/llama, api_base: "os.environ/VLLM_URL", api_key: literal }
  - model_name: backup
    litellm_params: { model: openai/gpt-b }
    model_info: { aliases: [spare] }
router_settings:
  num_retries: 4
  timeout: 30
  routing_strategy: least-busy
  fallbacks: [{ fast: [spare] }]
`;
    const { config, problems } = parseRouterConfig(yaml, { VLLM_URL: 'http://127.0.0.1:2/v1' });
    expect(problems).toEqual([]);
    const chat = config.models.get('chat')!;
    expect(chat.deployments.map((d) => [d.id, d.provider, d.upstreamModel, d.apiBase, d.timeoutMs, d.weight])).toEqual([
      ['chat#0', 'openai', 'gpt-a', 'http://127.0.0.1:1/v1', 5000, 3],
      ['chat#1', 'hosted_vllm', 'llama', 'http://127.0.0.1:2/v1', undefined, 1],
    ]);
    expect(config.settings).toMatchObject({ numRetries: 4, timeoutMs: 30_000, routingStrategy: 'least-busy' });
    expect(config.settings.fallbacks.get('chat')).toEqual(['backup']);
  });

  test('an alias may not shadow a model name; a model_name may contain a slash', () => {
    const yaml = `
model_list:
  - model_name: Qwen/Qwen2.5-7B
    litellm_params: { model: hosted_vllm/Qwen/Qwen2.5-7B, api_base: "http://127.0.0.1:1/v1" }
    model_info: { aliases: [other] }
  - model_name: other
    litellm_params: { model: openai/o }
`;
    const { config, problems } = parseRouterConfig(yaml, {});
    expect(problems).toEqual(['router_config.yaml: model_info.aliases: alias "other" of Qwen/Qwen2.5-7B is also a model_name']);
    expect(config.models.get('Qwen/Qwen2.5-7B')!.deployments[0]!.upstreamModel).toBe('Qwen/Qwen2.5-7B');
  });

  test('audio_transcriptions models are served like the others: listed, aliased, in fallbacks', () => {
    const yaml = `
model_list:
  - model_name: chat
    litellm_params: { model: openai/c }
  - model_name: stt
    litellm_params: { model: openai/whisper-1 }
    model_info: { mode: audio_transcriptions, aliases: [listen] }
  - model_name: stt
    litellm_params: { model: openai/whisper-2 }
fallbacks: [{ listen: [chat] }]
`;
    const ok = parseRouterConfig(yaml, {});
    expect(ok.problems).toEqual([]);
    expect(ok.warnings).toEqual([]);
    expect([...ok.config.models.keys()]).toEqual(['chat', 'stt']);
    expect(ok.config.models.get('stt')!.deployments.map((d) => d.upstreamModel)).toEqual(['whisper-1', 'whisper-2']);
    expect(resolveModel(ok.config, 'listen')?.name).toBe('stt');
    expect([...ok.config.settings.fallbacks]).toEqual([['stt', ['chat']]]);
    const bad = parseRouterConfig(yaml.replace('openai/whisper-1', 'madeup/whisper-1'), {});
    expect(bad.problems).toEqual([expect.stringMatching(/^router_config\.yaml: model_list\[1\]\.litellm_params\.model: unknown provider prefix "madeup"/)]);
  });

  test('not YAML, or not a mapping', () => {
    expect(parseRouterConfig('model_list: [', {}).problems[0]).toContain('not valid YAML');
    expect(parseRouterConfig('- 1\n- 2\n', {}).problems[0]).toContain('expected a mapping');
    expect(parseRouterConfig('', {}).problems).toEqual([]);
  });
});

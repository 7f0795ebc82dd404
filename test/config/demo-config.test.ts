/** demo/<name> deployments in router_config.yaml, and `--demo` / AQUEDUCT_DEMO when no router config is given. */
import { describe, expect, test } from 'bun:test';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from '../../src/cli/args';
import { DEMO_MODEL_NAMES } from '../../src/config/demo-models';
import { loadConfig } from '../../src/config/load';
import { parseRouterConfig } from '../../src/config/router-config';

describe('demo deployments', () => {
  test('need no api_base or api_key; mock_latency_ms is read', () => {
    const { config, problems } = parseRouterConfig('model_list:\n  - { model_name: d, litellm_params: { model: demo/d, mock_latency_ms: 25 } }\n', {});
    expect(problems).toEqual([]);
    expect(config.models.get('d')!.deployments[0]).toMatchObject({ provider: 'demo', upstreamModel: 'd', mockLatencyMs: 25 });
  });

  test('connection settings and bad latencies are problems, and mock_latency_ms belongs to demo/ only', () => {
    const { problems } = parseRouterConfig(
      `model_list:
  - { model_name: a, litellm_params: { model: demo/a, api_base: "http://x", api_key: k } }
  - { model_name: b, litellm_params: { model: demo/b, mock_latency_ms: -1 } }
  - { model_name: c, litellm_params: { model: openai/c, mock_latency_ms: 5 } }
  - { model_name: e, litellm_params: { model: demo/ } }
`,
      {},
    );
    expect(problems).toEqual([
      'router_config.yaml: model_list[0].litellm_params.api_base: the built-in demo/ provider answers in-process and takes no api_base',
      'router_config.yaml: model_list[0].litellm_params.api_key: the built-in demo/ provider answers in-process and takes no api_key',
      'router_config.yaml: model_list[1].litellm_params.mock_latency_ms: expected a number of milliseconds from 0 to 600000',
      'router_config.yaml: model_list[2].litellm_params.mock_latency_ms: only for the built-in demo/ provider, not "openai"',
      'router_config.yaml: model_list[3].litellm_params.model: the model name after the provider prefix is empty',
    ]);
  });
});

describe('--demo', () => {
  const dir = mkdtempSync(join(tmpdir(), 'aq-demo-'));
  const routerFile = join(dir, 'router_config.yaml');
  writeFileSync(routerFile, 'model_list:\n  - { model_name: real, litellm_params: { model: openai/real, api_key: k } }\n');
  const flags = (...argv: string[]) => parseArgs(argv, []).flags;

  test('with no router config, serves the six demo models, one per endpoint kind', () => {
    const c = loadConfig(flags('--demo'), {});
    expect(c.problems).toEqual([]);
    expect(c.demo).toBe(true);
    expect([...c.router.models.keys()]).toEqual([...DEMO_MODEL_NAMES]);
    expect([...c.router.models.values()].map((m) => m.mode)).toEqual(['chat', 'completion', 'embedding', 'audio_speech', 'image_generations', 'audio_transcriptions']);
    // Batch workers build their router from this text: it must hold the same models.
    expect([...parseRouterConfig(c.routerText, {}).config.models.keys()]).toEqual([...DEMO_MODEL_NAMES]);
  });

  test('AQUEDUCT_DEMO works like the flag, --demo=off and the default serve nothing', () => {
    expect(loadConfig(flags(), { AQUEDUCT_DEMO: 'on' }).demo).toBe(true);
    expect(loadConfig(flags('--demo=off'), { AQUEDUCT_DEMO: 'on' }).demo).toBe(false);
    const plain = loadConfig(flags(), {});
    expect(plain.demo).toBe(false);
    expect(plain.router.models.size).toBe(0);
    expect(loadConfig(flags(), { AQUEDUCT_DEMO: 'maybe' }).problems).toEqual(['AQUEDUCT_DEMO="maybe": expected on or off']);
  });

  test('a real router config always wins', () => {
    const c = loadConfig(flags('--demo', '--router-config', routerFile), {});
    expect(c.demo).toBe(false);
    expect([...c.router.models.keys()]).toEqual(['real']);
  });

  test('--demo takes no separate value: the next argument stays an argument', () => {
    expect(parseArgs(['--demo', 'extra'], []).positional).toEqual(['extra']);
  });
});

/** A gateway in front of the mock upstream, served over HTTP for the official openai SDK. */
import OpenAI from 'openai';
import type { McpConfig } from '../../src/config/mcp-config';
import type { Settings } from '../../src/config/settings';
import { MockUpstream } from './mock-upstream';
import { RemoteMock } from './mock-upstream-process';
import { testGateway, type TestGateway } from './app';

export interface RelayFixture<M> {
  mock: M;
  gw: TestGateway;
  url: string;
  client(opts?: { key?: string; maxRetries?: number; timeout?: number }): OpenAI;
  /** Forgets scripted behaviour, recorded requests and usage rows (call in beforeEach). */
  reset(): Promise<void>;
  close(): Promise<void>;
}

interface Options {
  /** Idle timeout of the gateway's listener, seconds (Bun's default is 10). */
  idleTimeoutSeconds?: number;
  settings?: Partial<Settings>;
  mcp?: McpConfig;
}

function fixture<M extends { base(name: string): string; reset(): unknown; stop(): Promise<void> }>(mock: M, routerYaml: string, opts: Options): RelayFixture<M> {
  // `{{base:NAME}}` in the YAML is the api_base of mock deployment NAME.
  const yaml = routerYaml.replace(/\{\{base:([\w-]+)\}\}/g, (_, name: string) => mock.base(name));
  const gw = testGateway({ routerYaml: yaml, env: { UPSTREAM_KEY: 'sk-upstream-secret' }, settings: opts.settings, mcp: opts.mcp });
  const url = gw.listen(opts);
  return {
    mock,
    gw,
    url,
    client: (o = {}) => new OpenAI({ apiKey: o.key ?? gw.adminKey, baseURL: `${url}/v1`, maxRetries: o.maxRetries ?? 0, timeout: o.timeout }),
    async reset() {
      await mock.reset();
      gw.usage.flush();
      gw.db.sqlite.run('DELETE FROM usage');
    },
    async close() {
      gw.close();
      await mock.stop();
    },
  };
}

/** The mock runs in this process: its scripts and records are plain properties. */
export function relayFixture(routerYaml: string, opts: Options = {}): RelayFixture<MockUpstream> {
  return fixture(new MockUpstream().start(), routerYaml, opts);
}

/** The mock runs in its own process (needed where it cuts streams); steer it with async calls. */
export async function remoteRelayFixture(routerYaml: string, opts: Options = {}): Promise<RelayFixture<RemoteMock>> {
  return fixture(await RemoteMock.start(), routerYaml, opts);
}

/** The mock deployments every relay test can use. */
export const STANDARD_MODELS = `
model_list:
  - model_name: gpt-test
    litellm_params: { model: openai/gpt-upstream, api_base: "{{base:main}}", api_key: os.environ/UPSTREAM_KEY }
    model_info: { mode: chat, aliases: [main, coding] }
  - model_name: text-test
    litellm_params: { model: openai/davinci-upstream, api_base: "{{base:main}}", api_key: os.environ/UPSTREAM_KEY }
    model_info: { mode: completion }
  - model_name: embed-test
    litellm_params: { model: openai/embed-upstream, api_base: "{{base:main}}", api_key: os.environ/UPSTREAM_KEY }
    model_info: { mode: embedding, aliases: [embed] }
  - model_name: tts-test
    litellm_params: { model: openai/tts-upstream, api_base: "{{base:main}}", api_key: os.environ/UPSTREAM_KEY }
    model_info: { mode: audio_speech, aliases: [tts] }
  - model_name: image-test
    litellm_params: { model: openai/image-upstream, api_base: "{{base:main}}", api_key: os.environ/UPSTREAM_KEY }
    model_info: { mode: image_generations }
`;

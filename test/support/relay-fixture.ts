/** A gateway in front of the mock upstream, served over HTTP for the official openai SDK. */
import OpenAI from 'openai';
import { MockUpstream } from './mock-upstream';
import { testGateway, type TestGateway } from './app';

export interface RelayFixture {
  mock: MockUpstream;
  gw: TestGateway;
  url: string;
  client(opts?: { key?: string; maxRetries?: number; timeout?: number }): OpenAI;
  /** Forgets scripted behaviour, recorded requests and usage rows (call in beforeEach). */
  reset(): void;
  close(): Promise<void>;
}

/** `routerYaml` may use `{{base:NAME}}` for the api_base of mock deployment NAME. */
export function relayFixture(routerYaml: string): RelayFixture {
  const mock = new MockUpstream().start();
  const yaml = routerYaml.replace(/\{\{base:([\w-]+)\}\}/g, (_, name: string) => mock.base(name));
  const gw = testGateway({ routerYaml: yaml, env: { UPSTREAM_KEY: 'sk-upstream-secret' } });
  const url = gw.listen();
  return {
    mock,
    gw,
    url,
    client: (o = {}) => new OpenAI({ apiKey: o.key ?? gw.adminKey, baseURL: `${url}/v1`, maxRetries: o.maxRetries ?? 0, timeout: o.timeout }),
    reset() {
      mock.reset();
      gw.usage.flush();
      gw.db.sqlite.run('DELETE FROM usage');
    },
    async close() {
      gw.close();
      await mock.stop();
    },
  };
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

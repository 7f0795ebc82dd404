/** azure/ deployments through the gateway with the official openai SDK, against a mock Azure resource. */
import { afterAll, beforeEach, describe, expect, test } from 'bun:test';
import OpenAI from 'openai';
import { cloudFixture } from '../support/cloud-fixture';
import { AZURE_CLIENT, AZURE_KEY, MockAzure } from '../support/mock-azure';

const azure = new MockAzure();
const base = azure.url;
const f = cloudFixture(
  `
model_list:
  - model_name: az-chat
    litellm_params: { model: azure/gpt-4o-dep, api_base: "${base}", api_key: os.environ/AZURE_API_KEY, api_version: "2024-10-21" }
  - model_name: az-v1
    litellm_params: { model: azure/gpt-v1-dep, api_base: "${base}/openai/v1/", api_key: os.environ/AZURE_API_KEY }
  - model_name: az-entra
    litellm_params: { model: azure/entra-dep, api_base: "${base}", api_version: "2025-01-01-preview", tenant_id: ${AZURE_CLIENT.tenant}, client_id: ${AZURE_CLIENT.id}, client_secret: os.environ/AZURE_CLIENT_SECRET, azure_authority_host: "${base}" }
  - model_name: az-entra-short
    litellm_params: { model: azure/entra-dep, api_base: "${base}", api_version: "2024-10-21", tenant_id: ${AZURE_CLIENT.tenant}, client_id: ${AZURE_CLIENT.id}, client_secret: os.environ/AZURE_CLIENT_SECRET, azure_authority_host: "${base}/short" }
  - model_name: az-bad-secret
    litellm_params: { model: azure/entra-dep, api_base: "${base}", api_version: "2024-10-21", tenant_id: ${AZURE_CLIENT.tenant}, client_id: ${AZURE_CLIENT.id}, client_secret: wrong-secret-value, azure_authority_host: "${base}/bad" }
  - model_name: az-ad-token
    litellm_params: { model: azure/ad-dep, api_base: "${base}", api_version: "2024-10-21", azure_ad_token: static-ad-token-1 }
  - model_name: az-old-version
    litellm_params: { model: azure/gpt-4o-dep, api_base: "${base}", api_key: os.environ/AZURE_API_KEY, api_version: "2023-01-01" }
  - model_name: az-flaky
    litellm_params: { model: azure/flaky-dep, api_base: "${base}", api_key: os.environ/AZURE_API_KEY, api_version: "2024-10-21" }
  - model_name: az-embed
    litellm_params: { model: azure/embed-dep, api_base: "${base}", api_key: os.environ/AZURE_API_KEY, api_version: "2024-10-21" }
    model_info: { mode: embedding }
  - model_name: az-image
    litellm_params: { model: azure/dalle-dep, api_base: "${base}", api_key: os.environ/AZURE_API_KEY, api_version: "2024-10-21" }
    model_info: { mode: image_generations }
  - model_name: az-tts
    litellm_params: { model: azure/tts-dep, api_base: "${base}", api_key: os.environ/AZURE_API_KEY, api_version: "2024-10-21" }
    model_info: { mode: audio_speech }
fallbacks: [{ az-flaky: [az-chat] }]
num_retries: 2
`,
  { AZURE_API_KEY: AZURE_KEY, AZURE_CLIENT_SECRET: AZURE_CLIENT.secret },
);
afterAll(async () => {
  f.close();
  await azure.stop();
});
beforeEach(() => {
  azure.reset();
  f.clearUsage();
});

const hello = [{ role: 'user' as const, content: 'hello azure' }];

describe('azure/: URLs and credentials', () => {
  test('chat under the deployment URL with api-version and api-key; the gateway key never goes upstream', async () => {
    const res = await f.client().chat.completions.create({ model: 'az-chat', messages: hello });
    expect(res.choices[0]!.message.content).toBe('echo: hello azure');
    expect(res.usage?.prompt_tokens).toBeGreaterThan(0);
    const [sent] = azure.received;
    expect(sent!.path).toBe('/openai/deployments/gpt-4o-dep/chat/completions');
    expect(sent!.query).toEqual({ 'api-version': '2024-10-21' });
    expect(sent!.headers['api-key']).toBe(AZURE_KEY);
    expect(sent!.headers.authorization).toBeUndefined();
    expect(JSON.stringify(sent!.headers)).not.toContain(f.gw.adminKey);
    expect(f.gw.usageRows()[0]).toMatchObject({ model: 'az-chat', status: 200, input_tokens: res.usage!.prompt_tokens });
  });

  test('an api_base ending in /openai/v1 with no api_version uses the v1 API (deployment in the body)', async () => {
    const res = await f.client().chat.completions.create({ model: 'az-v1', messages: hello });
    expect(res.choices[0]!.message.content).toBe('echo: hello azure');
    expect(azure.received[0]).toMatchObject({ path: '/openai/v1/chat/completions', query: {}, body: { model: 'gpt-v1-dep' } });
  });

  test('an api-version Azure does not know: its 404 reaches the caller, not retried', async () => {
    const err = await f.client().chat.completions.create({ model: 'az-old-version', messages: hello }).catch((e) => e);
    expect(err).toBeInstanceOf(OpenAI.NotFoundError);
    expect(azure.received.length).toBe(1);
  });

  test('client credentials: one Entra ID token for many calls, sent as Bearer, no api-key', async () => {
    await f.client().chat.completions.create({ model: 'az-entra', messages: hello });
    await f.client().chat.completions.create({ model: 'az-entra', messages: hello });
    expect(azure.tokenRequests.length).toBeLessThanOrEqual(1); // 0 when an earlier test already fetched it
    const auth = azure.received.map((r) => r.headers.authorization);
    expect(auth[0]).toMatch(/^Bearer entra-token-\d+$/);
    expect(auth[1]).toBe(auth[0]);
    expect(azure.received[0]!.headers['api-key']).toBeUndefined();
    expect(azure.received[0]!.query).toEqual({ 'api-version': '2025-01-01-preview' });
  });

  test('an Entra ID token is fetched again before it expires', async () => {
    azure.tokenLifetimeSeconds = 1; // refreshed at half its life when that is under five minutes
    try {
      await f.client().chat.completions.create({ model: 'az-entra-short', messages: hello });
      await f.client().chat.completions.create({ model: 'az-entra-short', messages: hello });
      expect(azure.tokenRequests.length).toBe(1);
      await Bun.sleep(600);
      await f.client().chat.completions.create({ model: 'az-entra-short', messages: hello });
      expect(azure.tokenRequests.length).toBe(2);
      const auth = azure.received.map((r) => r.headers.authorization);
      expect(auth[2]).not.toBe(auth[1]);
    } finally {
      azure.tokenLifetimeSeconds = 3600;
    }
  });

  test('a refused client secret: 401 naming Entra ID, the secret not echoed, nothing sent to the model', async () => {
    const err = await f.client().chat.completions.create({ model: 'az-bad-secret', messages: hello }).catch((e) => e);
    expect(err).toBeInstanceOf(OpenAI.AuthenticationError);
    expect(err.message).toContain('Entra ID');
    expect(err.message).not.toContain('wrong-secret-value');
    expect(azure.received.length).toBe(0);
  });

  test('azure_ad_token goes as a Bearer token', async () => {
    await f.client().chat.completions.create({ model: 'az-ad-token', messages: hello });
    expect(azure.received[0]!.headers.authorization).toBe('Bearer static-ad-token-1');
  });
});

describe('azure/: answers', () => {
  test('prompt_filter_results and content_filter_results are passed on', async () => {
    const res: any = await f.client().chat.completions.create({ model: 'az-chat', messages: hello });
    expect(res.prompt_filter_results[0].content_filter_results.hate).toEqual({ filtered: false, severity: 'safe' });
    expect(res.choices[0].content_filter_results.violence.filtered).toBe(false);
  });

  test('stream with usage: no chunk without choices but the usage one; filter results kept on the first chunk', async () => {
    const stream = await f.client().chat.completions.create({ model: 'az-chat', messages: hello, stream: true, stream_options: { include_usage: true } });
    const chunks: any[] = [];
    let text = '';
    for await (const chunk of stream) {
      chunks.push(chunk);
      if (chunk.usage) continue;
      text += chunk.choices[0]!.delta.content ?? ''; // would throw on Azure's choice-less first chunk
    }
    expect(text).toBe('echo: hello azure');
    expect(chunks[0].choices.length).toBe(1);
    expect(chunks[0].prompt_filter_results[0].prompt_index).toBe(0);
    expect(chunks.filter((c) => c.choices.length === 0).length).toBe(1);
    expect(chunks.at(-1).usage.completion_tokens).toBeGreaterThan(0);
    expect(f.gw.usageRows()[0]).toMatchObject({ status: 200, stream: 1, output_tokens: chunks.at(-1).usage.completion_tokens });
  });

  test('a filtered answer ends with finish_reason content_filter (JSON and stream)', async () => {
    const msg = [{ role: 'user' as const, content: 'describe violence' }];
    const res: any = await f.client().chat.completions.create({ model: 'az-chat', messages: msg });
    expect(res.choices[0].finish_reason).toBe('content_filter');
    expect(res.choices[0].content_filter_results.violence).toEqual({ filtered: true, severity: 'high' });
    const stream = await f.client().chat.completions.create({ model: 'az-chat', messages: msg, stream: true });
    const finishes: unknown[] = [];
    for await (const chunk of stream) finishes.push(chunk.choices[0]!.finish_reason);
    expect(finishes.at(-1)).toBe('content_filter');
  });

  test("a prompt Azure's filter refuses: 400 with code content_filter", async () => {
    const err = await f.client().chat.completions.create({ model: 'az-chat', messages: [{ role: 'user', content: 'jailbreak now' }] }).catch((e) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect(err.code).toBe('content_filter');
    expect(azure.received.length).toBe(1);
  });

  test('tool round trip: the tool call comes back and the tool result is sent on as given', async () => {
    const tools: OpenAI.ChatCompletionTool[] = [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } } }];
    const first = await f.client().chat.completions.create({ model: 'az-chat', messages: [{ role: 'user', content: 'weather?' }], tools });
    const call = first.choices[0]!.message.tool_calls![0]!;
    expect(first.choices[0]!.finish_reason).toBe('tool_calls');
    expect(call).toMatchObject({ type: 'function', function: { name: 'get_weather' } });
    const messages: OpenAI.ChatCompletionMessageParam[] = [{ role: 'user', content: 'weather?' }, first.choices[0]!.message, { role: 'tool', tool_call_id: call.id, content: 'sunny' }];
    const second = await f.client().chat.completions.create({ model: 'az-chat', messages });
    expect(second.choices[0]!.message.content).toBe('echo: sunny');
    expect(azure.received[1]!.body.messages[2]).toEqual({ role: 'tool', tool_call_id: call.id, content: 'sunny' });
  });

  test('json_schema response_format reaches Azure unchanged', async () => {
    const response_format = { type: 'json_schema' as const, json_schema: { name: 'x', schema: { type: 'object', properties: { a: { type: 'string' } } }, strict: true } };
    await f.client().chat.completions.create({ model: 'az-chat', messages: hello, response_format });
    expect(azure.received[0]!.body.response_format).toEqual(response_format);
  });

  test('embeddings, images and speech go to their deployment URLs', async () => {
    const emb = await f.client().embeddings.create({ model: 'az-embed', input: ['a b', 'c'] });
    expect(emb.data.length).toBe(2);
    const img = await f.client().images.generate({ model: 'az-image', prompt: 'a cat' });
    expect(img.data![0]!.b64_json).toBeString();
    const audio = await f.client().audio.speech.create({ model: 'az-tts', input: 'hi', voice: 'alloy' });
    expect(await audio.text()).toContain('AUDIO[hi]');
    expect(azure.received.map((r) => r.path)).toEqual([
      '/openai/deployments/embed-dep/embeddings',
      '/openai/deployments/dalle-dep/images/generations',
      '/openai/deployments/tts-dep/audio/speech',
    ]);
  });
});

describe('azure/: failures', () => {
  test('a 500 is retried; 429s that last move on to the fallback model', async () => {
    azure.script('gpt-4o-dep', { status: 500 });
    const once = await f.client().chat.completions.create({ model: 'az-chat', messages: hello });
    expect(once.choices[0]!.message.content).toBe('echo: hello azure');
    expect(azure.received.length).toBe(2);

    azure.reset();
    f.clearUsage();
    azure.script('flaky-dep', { status: 429 }, { status: 429 }, { status: 429 });
    const res = await f.client().chat.completions.create({ model: 'az-flaky', messages: hello });
    expect(res.choices[0]!.message.content).toBe('echo: hello azure');
    expect(azure.received.map((r) => r.path)).toEqual([...Array(3).fill('/openai/deployments/flaky-dep/chat/completions'), '/openai/deployments/gpt-4o-dep/chat/completions']);
    expect(f.gw.usageRows().at(-1)).toMatchObject({ model: 'az-chat', status: 200 });
  });
});

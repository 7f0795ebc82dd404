/** gemini/ and vertex_ai/ deployments through the gateway with the official openai SDK, against a mock Google. */
import { afterAll, beforeEach, describe, expect, test } from 'bun:test';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { cloudFixture } from '../support/cloud-fixture';
import { GEMINI_KEY, MockGoogle, serviceAccountKey } from '../support/mock-google';

const google = new MockGoogle();
const sa = await serviceAccountKey(`${google.url}/token`);
google.publicKey = sa.publicKey;
const keyFile = join(mkdtempSync(join(tmpdir(), 'aq-vertex-')), 'sa.json');
writeFileSync(keyFile, sa.json);
const other = await serviceAccountKey(`${google.url}/token`); // a key the mock does not trust

const f = cloudFixture(
  `
model_list:
  - model_name: gem
    litellm_params: { model: gemini/gemini-2.5-flash, api_base: "${google.url}/v1beta", api_key: os.environ/GEMINI_API_KEY }
  - model_name: gem-flaky
    litellm_params: { model: gemini/flaky-model, api_base: "${google.url}/v1beta", api_key: os.environ/GEMINI_API_KEY }
  - model_name: gem-embed
    litellm_params: { model: gemini/text-embedding-004, api_base: "${google.url}/v1beta", api_key: os.environ/GEMINI_API_KEY }
    model_info: { mode: embedding }
  - model_name: vtx
    litellm_params: { model: vertex_ai/gemini-2.5-pro, api_base: "${google.url}/v1", vertex_project: my-project, vertex_location: europe-west4, vertex_credentials: "${keyFile}" }
  - model_name: vtx-json
    litellm_params: { model: vertex_ai/gemini-2.5-pro, api_base: "${google.url}/v1", vertex_location: us-central1, vertex_credentials: os.environ/VERTEX_SA_JSON }
  - model_name: vtx-untrusted
    litellm_params: { model: vertex_ai/gemini-2.5-pro, api_base: "${google.url}/v1", vertex_project: p, vertex_credentials: os.environ/OTHER_SA_JSON }
  - model_name: vtx-embed
    litellm_params: { model: vertex_ai/text-embedding-005, api_base: "${google.url}/v1", vertex_project: my-project, vertex_credentials: "${keyFile}" }
    model_info: { mode: embedding }
fallbacks: [{ gem-flaky: [vtx] }]
num_retries: 1
`,
  { GEMINI_API_KEY: GEMINI_KEY, VERTEX_SA_JSON: sa.json, OTHER_SA_JSON: other.json },
);
afterAll(async () => {
  f.close();
  await google.stop();
});
beforeEach(() => {
  google.reset();
  f.clearUsage();
});

const weatherTool: OpenAI.ChatCompletionTool = {
  type: 'function',
  function: { name: 'get_weather', description: 'Weather in a city', parameters: { type: 'object', properties: { city: { type: ['string', 'null'] } }, required: ['city'], additionalProperties: false }, strict: true },
};

describe('gemini/', () => {
  test('chat: system instruction, roles, API key header; thought parts left out; usage mapped and recorded', async () => {
    const res = await f.client().chat.completions.create({
      model: 'gem',
      messages: [
        { role: 'system', content: 'be brief' },
        { role: 'user', content: 'hi' },
        { role: 'assistant', content: 'hello' },
        { role: 'user', content: [{ type: 'text', text: 'what is this' }, { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } }] },
      ],
      max_tokens: 50,
      temperature: 0.2,
      stop: ['END'],
    });
    expect(res.choices[0]!.message.content).toBe('echo: what is this');
    expect(res.choices[0]!.finish_reason).toBe('stop');
    expect(res.usage).toMatchObject({ prompt_tokens: 7, completion_tokens: 5, total_tokens: 12 });
    const [sent] = google.received;
    expect(sent!.path).toBe('/v1beta/models/gemini-2.5-flash:generateContent');
    expect(sent!.headers['x-goog-api-key']).toBe(GEMINI_KEY);
    expect(sent!.headers.authorization).toBeUndefined();
    expect(sent!.body).toEqual({
      contents: [
        { role: 'user', parts: [{ text: 'hi' }] },
        { role: 'model', parts: [{ text: 'hello' }] },
        { role: 'user', parts: [{ text: 'what is this' }, { inlineData: { mimeType: 'image/png', data: 'iVBORw0KGgo=' } }] },
      ],
      systemInstruction: { parts: [{ text: 'be brief' }] },
      generationConfig: { temperature: 0.2, maxOutputTokens: 50, stopSequences: ['END'] },
    });
    expect(f.gw.usageRows()[0]).toMatchObject({ model: 'gem', status: 200, input_tokens: 7, output_tokens: 5 });
  });

  test('stream with usage: text deltas, the finish reason, then the usage chunk', async () => {
    const stream = await f.client().chat.completions.create({ model: 'gem', messages: [{ role: 'user', content: 'stream please' }], stream: true, stream_options: { include_usage: true } });
    let text = '';
    const chunks: OpenAI.ChatCompletionChunk[] = [];
    for await (const c of stream) {
      chunks.push(c);
      if (c.choices.length > 0) text += c.choices[0]!.delta.content ?? '';
    }
    expect(text).toBe('echo: stream please');
    expect(chunks.at(-2)!.choices[0]!.finish_reason).toBe('stop');
    expect(chunks.at(-1)!.usage).toMatchObject({ prompt_tokens: 7, completion_tokens: 5 });
    expect(google.received[0]!.path).toBe('/v1beta/models/gemini-2.5-flash:streamGenerateContent');
    expect(google.received[0]!.query).toEqual({ alt: 'sse' });
    expect(f.gw.usageRows()[0]).toMatchObject({ stream: 1, status: 200, input_tokens: 7, output_tokens: 5 });
  });

  test('tool round trip: function declarations and tool_choice go as Gemini wants; the call and its result map back', async () => {
    const first = await f.client().chat.completions.create({
      model: 'gem',
      messages: [{ role: 'user', content: 'weather in Paris?' }],
      tools: [weatherTool],
      tool_choice: { type: 'function', function: { name: 'get_weather' } },
    });
    const call = first.choices[0]!.message.tool_calls![0]!;
    expect(first.choices[0]!.finish_reason).toBe('tool_calls');
    expect(call).toMatchObject({ type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } });
    expect(google.received[0]!.body.tools).toEqual([
      { functionDeclarations: [{ name: 'get_weather', description: 'Weather in a city', parameters: { type: 'object', properties: { city: { type: 'string', nullable: true } }, required: ['city'] } }] },
    ]);
    expect(google.received[0]!.body.toolConfig).toEqual({ functionCallingConfig: { mode: 'ANY', allowedFunctionNames: ['get_weather'] } });

    const second = await f.client().chat.completions.create({
      model: 'gem',
      messages: [{ role: 'user', content: 'weather in Paris?' }, first.choices[0]!.message, { role: 'tool', tool_call_id: call.id, content: '{"temp":21}' }],
      tools: [weatherTool],
    });
    expect(second.choices[0]!.message.content).toBe('tool said: {"temp":21}');
    expect(google.received[1]!.body.contents.slice(1)).toEqual([
      { role: 'model', parts: [{ functionCall: { name: 'get_weather', args: { city: 'Paris' } } }] },
      { role: 'user', parts: [{ functionResponse: { name: 'get_weather', response: { temp: 21 } } }] },
    ]);
  });

  test('a tool call in a stream arrives as a tool_calls delta', async () => {
    const stream = await f.client().chat.completions.create({ model: 'gem', messages: [{ role: 'user', content: 'weather?' }], tools: [weatherTool], stream: true });
    const calls: any[] = [];
    let finish: string | null = null;
    for await (const c of stream) {
      calls.push(...(c.choices[0]?.delta.tool_calls ?? []));
      finish = c.choices[0]?.finish_reason ?? finish;
    }
    expect(calls).toEqual([expect.objectContaining({ index: 0, type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } })]);
    expect(calls[0].id).toBeString();
    expect(finish).toBe('tool_calls');
  });

  test('json_schema → responseMimeType + responseSchema; the JSON comes back as content', async () => {
    const res = await f.client().chat.completions.create({
      model: 'gem',
      messages: [{ role: 'user', content: 'answer' }],
      response_format: { type: 'json_schema', json_schema: { name: 'a', strict: true, schema: { type: 'object', properties: { answer: { type: 'string' } }, required: ['answer'], additionalProperties: false } } },
    });
    expect(JSON.parse(res.choices[0]!.message.content!)).toEqual({ answer: '42' });
    expect(google.received[0]!.body.generationConfig).toEqual({ responseMimeType: 'application/json', responseSchema: { type: 'object', properties: { answer: { type: 'string' } }, required: ['answer'] } });
  });

  test('safety: a blocked answer and a blocked prompt both end with finish_reason content_filter', async () => {
    const unsafe = await f.client().chat.completions.create({ model: 'gem', messages: [{ role: 'user', content: 'something unsafe' }] });
    expect(unsafe.choices[0]!.finish_reason).toBe('content_filter');
    expect(unsafe.choices[0]!.message.content).toBe('');
    const blocked: any = await f.client().chat.completions.create({ model: 'gem', messages: [{ role: 'user', content: 'blocked words' }] });
    expect(blocked.choices[0].finish_reason).toBe('content_filter');
    expect(blocked.prompt_feedback.blockReason).toBe('SAFETY');
    const stream = await f.client().chat.completions.create({ model: 'gem', messages: [{ role: 'user', content: 'blocked words' }], stream: true });
    const finishes: unknown[] = [];
    for await (const c of stream) finishes.push(c.choices[0]?.finish_reason);
    expect(finishes).toContain('content_filter');
  });

  test('embeddings via batchEmbedContents, dimensions → outputDimensionality', async () => {
    const res = await f.client().embeddings.create({ model: 'gem-embed', input: ['one', 'three'], dimensions: 3, encoding_format: 'float' });
    expect(res.data.map((d) => d.embedding.length)).toEqual([3, 3]);
    expect(res.data[1]!.embedding[0]).toBeCloseTo(0.5);
    expect(google.received[0]!.path).toBe('/v1beta/models/text-embedding-004:batchEmbedContents');
    expect(google.received[0]!.body.requests[0]).toEqual({ model: 'models/text-embedding-004', content: { parts: [{ text: 'one' }] }, outputDimensionality: 3 });
  });

  test('an endpoint Gemini does not serve is a 400 and nothing is sent', async () => {
    const err = await f.client().completions.create({ model: 'gem', prompt: 'x' }).catch((e) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect(err.message).toContain('does not serve');
    expect(google.received.length).toBe(0);
  });

  test('a 429 that lasts moves on to the fallback (Vertex); Google errors keep their status', async () => {
    google.script('flaky-model', { status: 429 }, { status: 429 });
    const res = await f.client().chat.completions.create({ model: 'gem-flaky', messages: [{ role: 'user', content: 'hi' }] });
    expect(res.choices[0]!.message.content).toBe('echo: hi');
    expect(google.received.map((r) => r.path.split(':')[0]!.split('/').at(-1))).toEqual(['flaky-model', 'flaky-model', 'gemini-2.5-pro']);
    expect(f.gw.usageRows().at(-1)).toMatchObject({ model: 'vtx', status: 200 });

    google.reset();
    google.script('gemini-2.5-flash', { status: 400 });
    const err = await f.client().chat.completions.create({ model: 'gem', messages: [{ role: 'user', content: 'hi' }] }).catch((e) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect(err.message).toContain('mock google failure 400');
    expect(err.code).toBe('invalid_argument');
    expect(google.received.length).toBe(1);
  });
});

describe('vertex_ai/', () => {
  test('chat under the project/location URL with a service-account token (one token for many calls)', async () => {
    const res = await f.client().chat.completions.create({ model: 'vtx', messages: [{ role: 'user', content: 'hello vertex' }] });
    expect(res.choices[0]!.message.content).toBe('echo: hello vertex');
    await f.client().chat.completions.create({ model: 'vtx', messages: [{ role: 'user', content: 'again' }] });
    expect(google.received[0]!.path).toBe('/v1/projects/my-project/locations/europe-west4/publishers/google/models/gemini-2.5-pro:generateContent');
    expect(google.received[0]!.headers.authorization).toMatch(/^Bearer vertex-token-\d+$/);
    expect(google.received[1]!.headers.authorization).toBe(google.received[0]!.headers.authorization);
    expect(JSON.stringify(google.received[0]!.headers)).not.toContain(f.gw.adminKey);
    expect(google.tokenRequests.length).toBeLessThanOrEqual(1);
  });

  test('credentials as a JSON string; the project comes from the key; streams work the same', async () => {
    const stream = await f.client().chat.completions.create({ model: 'vtx-json', messages: [{ role: 'user', content: 'json key' }], stream: true });
    let text = '';
    for await (const c of stream) text += c.choices[0]?.delta.content ?? '';
    expect(text).toBe('echo: json key');
    expect(google.received[0]!.path).toBe('/v1/projects/key-project/locations/us-central1/publishers/google/models/gemini-2.5-pro:streamGenerateContent');
  });

  test('a key whose signature Google does not accept: 401, nothing sent to the model', async () => {
    const err = await f.client().chat.completions.create({ model: 'vtx-untrusted', messages: [{ role: 'user', content: 'hi' }] }).catch((e) => e);
    expect(err).toBeInstanceOf(OpenAI.AuthenticationError);
    expect(err.message).toContain('Invalid JWT Signature');
    expect(google.tokenRequests.length).toBe(1);
    const claims = google.tokenRequests[0] as Record<string, number | string>;
    expect(claims).toMatchObject({ iss: 'gateway@key-project.iam.gserviceaccount.com', aud: `${google.url}/token`, scope: 'https://www.googleapis.com/auth/cloud-platform' });
    expect(Number(claims.exp) - Number(claims.iat)).toBe(3600);
    expect(google.received.length).toBe(0);
  });

  test('embeddings via predict, usage from its token counts', async () => {
    const res = await f.client().embeddings.create({ model: 'vtx-embed', input: ['a', 'b'] });
    expect(res.data.length).toBe(2);
    expect(res.usage).toEqual({ prompt_tokens: 6, total_tokens: 6 });
    expect(google.received[0]!.path).toBe('/v1/projects/my-project/locations/us-central1/publishers/google/models/text-embedding-005:predict');
    expect(google.received[0]!.body).toEqual({ instances: [{ content: 'a' }, { content: 'b' }] });
  });
});

/** bedrock/ deployments through the gateway with the official openai SDK, against a mock Bedrock that checks SigV4. */
import { afterAll, beforeEach, describe, expect, test } from 'bun:test';
import OpenAI from 'openai';
import { cloudFixture } from '../support/cloud-fixture';
import { AWS, MockBedrock } from '../support/mock-bedrock';

const bedrock = new MockBedrock();
const creds = `aws_region_name: ${AWS.region}, aws_access_key_id: ${AWS.accessKeyId}, aws_secret_access_key: os.environ/SECRET, aws_session_token: os.environ/SESSION`;
const f = cloudFixture(
  `
model_list:
  - model_name: br
    litellm_params: { model: bedrock/anthropic.claude-3-5-sonnet-20240620-v1:0, api_base: "${bedrock.url}", ${creds} }
  - model_name: br-env
    litellm_params: { model: bedrock/meta.llama3-70b-instruct-v1:0, api_base: "${bedrock.url}" }
  - model_name: br-flaky
    litellm_params: { model: bedrock/flaky.model-v1, api_base: "${bedrock.url}", ${creds} }
  - model_name: br-bad-secret
    litellm_params: { model: bedrock/anthropic.claude-3-5-sonnet-20240620-v1:0, api_base: "${bedrock.url}", aws_region_name: ${AWS.region}, aws_access_key_id: ${AWS.accessKeyId}, aws_secret_access_key: wrong-secret-key-value }
  - model_name: br-titan
    litellm_params: { model: bedrock/amazon.titan-embed-text-v2:0, api_base: "${bedrock.url}", ${creds} }
    model_info: { mode: embedding }
  - model_name: br-cohere
    litellm_params: { model: bedrock/cohere.embed-english-v3, api_base: "${bedrock.url}", ${creds} }
    model_info: { mode: embedding }
fallbacks: [{ br-flaky: [br] }]
num_retries: 1
`,
  { SECRET: AWS.secretAccessKey, SESSION: AWS.sessionToken, AWS_REGION: AWS.region, AWS_ACCESS_KEY_ID: AWS.accessKeyId, AWS_SECRET_ACCESS_KEY: AWS.secretAccessKey },
);
afterAll(async () => {
  f.close();
  await bedrock.stop();
});
beforeEach(() => {
  bedrock.reset();
  f.clearUsage();
});

const weatherTool: OpenAI.ChatCompletionTool = { type: 'function', function: { name: 'get_weather', description: 'Weather', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } } };

describe('bedrock/: Converse', () => {
  test('chat: system, turns, image and inference settings map to Converse; SigV4-signed with the session token', async () => {
    const res = await f.client().chat.completions.create({
      model: 'br',
      messages: [
        { role: 'system', content: 'be brief' },
        { role: 'user', content: 'hi' },
        { role: 'assistant', content: 'hello' },
        { role: 'user', content: [{ type: 'text', text: 'look' }, { type: 'image_url', image_url: { url: 'data:image/jpeg;base64,/9j/4AAQ' } }] },
      ],
      max_tokens: 100,
      temperature: 0.5,
      stop: 'STOP',
    });
    expect(res.choices[0]!.message.content).toBe('echo: look');
    expect(res.choices[0]!.finish_reason).toBe('stop');
    expect(res.usage).toMatchObject({ prompt_tokens: 9, completion_tokens: 4, total_tokens: 13 });
    const [sent] = bedrock.received;
    expect(sent!.signatureProblem).toBeNull();
    expect(sent!.path).toBe('/model/anthropic.claude-3-5-sonnet-20240620-v1%3A0/converse');
    expect(sent!.headers['x-amz-security-token']).toBe(AWS.sessionToken);
    expect(sent!.signedHeaders).toEqual(expect.arrayContaining(['host', 'x-amz-date', 'x-amz-security-token'])); // the body is covered by the payload hash
    expect(sent!.signedHeaders).not.toContain('authorization');
    expect(JSON.stringify(sent!.headers)).not.toContain(f.gw.adminKey);
    expect(sent!.body).toEqual({
      messages: [
        { role: 'user', content: [{ text: 'hi' }] },
        { role: 'assistant', content: [{ text: 'hello' }] },
        { role: 'user', content: [{ text: 'look' }, { image: { format: 'jpeg', source: { bytes: '/9j/4AAQ' } } }] },
      ],
      system: [{ text: 'be brief' }],
      inferenceConfig: { maxTokens: 100, temperature: 0.5, stopSequences: ['STOP'] },
    });
    expect(f.gw.usageRows()[0]).toMatchObject({ model: 'br', status: 200, input_tokens: 9, output_tokens: 4 });
  });

  test('credentials and region from the standard AWS environment', async () => {
    const res = await f.client().chat.completions.create({ model: 'br-env', messages: [{ role: 'user', content: 'env' }] });
    expect(res.choices[0]!.message.content).toBe('echo: env');
    expect(bedrock.received[0]!.signatureProblem).toBeNull();
    expect(bedrock.received[0]!.headers['x-amz-security-token']).toBeUndefined();
  });

  test('ConverseStream with usage: event-stream frames become text chunks, the finish reason, then usage', async () => {
    const stream = await f.client().chat.completions.create({ model: 'br', messages: [{ role: 'user', content: 'stream this please' }], stream: true, stream_options: { include_usage: true } });
    let text = '';
    const chunks: OpenAI.ChatCompletionChunk[] = [];
    for await (const c of stream) {
      chunks.push(c);
      if (c.choices.length) text += c.choices[0]!.delta.content ?? '';
    }
    expect(text).toBe('echo: stream this please');
    expect(chunks.at(-2)!.choices[0]!.finish_reason).toBe('stop');
    expect(chunks.at(-1)!.usage).toMatchObject({ prompt_tokens: 9, completion_tokens: 4 });
    expect(bedrock.received[0]!.path).toEndWith('/converse-stream');
    expect(bedrock.received[0]!.signatureProblem).toBeNull();
    expect(f.gw.usageRows()[0]).toMatchObject({ stream: 1, status: 200, input_tokens: 9, output_tokens: 4 });
  });

  test('tool round trip: toolSpec and toolChoice out, toolUse back as tool_calls, the result as toolResult', async () => {
    const first = await f.client().chat.completions.create({ model: 'br', messages: [{ role: 'user', content: 'weather?' }], tools: [weatherTool], tool_choice: 'required' });
    const msg = first.choices[0]!.message;
    expect(first.choices[0]!.finish_reason).toBe('tool_calls');
    expect(msg.tool_calls).toEqual([{ id: 'tooluse_abc123', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }]);
    expect(bedrock.received[0]!.body.toolConfig).toEqual({ tools: [{ toolSpec: { name: 'get_weather', description: 'Weather', inputSchema: { json: weatherTool.function.parameters } } }], toolChoice: { any: {} } });

    const second = await f.client().chat.completions.create({ model: 'br', messages: [{ role: 'user', content: 'weather?' }, msg, { role: 'tool', tool_call_id: 'tooluse_abc123', content: '{"temp":21}' }], tools: [weatherTool] });
    expect(second.choices[0]!.message.content).toBe('tool said: {"temp":21}');
    expect(bedrock.received[1]!.body.messages.slice(1)).toEqual([
      { role: 'assistant', content: [{ text: 'Let me check.' }, { toolUse: { toolUseId: 'tooluse_abc123', name: 'get_weather', input: { city: 'Paris' } } }] },
      { role: 'user', content: [{ toolResult: { toolUseId: 'tooluse_abc123', content: [{ json: { temp: 21 } }] } }] },
    ]);
  });

  test('a streamed tool call arrives as tool_calls deltas that join into the arguments', async () => {
    const stream = await f.client().chat.completions.create({ model: 'br', messages: [{ role: 'user', content: 'weather?' }], tools: [weatherTool], stream: true });
    let args = '';
    let name = '';
    let finish: string | null = null;
    for await (const c of stream) {
      for (const t of c.choices[0]?.delta.tool_calls ?? []) {
        name += t.function?.name ?? '';
        args += t.function?.arguments ?? '';
      }
      finish = c.choices[0]?.finish_reason ?? finish;
    }
    expect(name).toBe('get_weather');
    expect(JSON.parse(args)).toEqual({ city: 'Paris' });
    expect(finish).toBe('tool_calls');
  });

  test('json_schema: a forced json_tool_call whose input comes back as the content (JSON and stream)', async () => {
    const response_format = { type: 'json_schema' as const, json_schema: { name: 'a', schema: { type: 'object', properties: { answer: { type: 'string' } } } } };
    const res = await f.client().chat.completions.create({ model: 'br', messages: [{ role: 'user', content: 'answer' }], response_format });
    expect(JSON.parse(res.choices[0]!.message.content!)).toEqual({ answer: '42' });
    expect(res.choices[0]!.finish_reason).toBe('stop');
    expect(res.choices[0]!.message.tool_calls).toBeUndefined();
    expect(bedrock.received[0]!.body.toolConfig.toolChoice).toEqual({ tool: { name: 'json_tool_call' } });
    const stream = await f.client().chat.completions.create({ model: 'br', messages: [{ role: 'user', content: 'answer' }], response_format, stream: true });
    let text = '';
    for await (const c of stream) text += c.choices[0]?.delta.content ?? '';
    expect(JSON.parse(text)).toEqual({ answer: '42' });
  });

  test('a guardrail intervention ends with finish_reason content_filter', async () => {
    const res = await f.client().chat.completions.create({ model: 'br', messages: [{ role: 'user', content: 'trip the guardrail' }] });
    expect(res.choices[0]!.finish_reason).toBe('content_filter');
  });
});

describe('bedrock/: embeddings', () => {
  test('Titan: one InvokeModel per input, token counts summed; Cohere: one call with texts', async () => {
    const titan = await f.client().embeddings.create({ model: 'br-titan', input: ['one two', 'three'], dimensions: 3 });
    expect(titan.data.map((d) => d.embedding.length)).toEqual([3, 3]);
    expect(titan.usage).toEqual({ prompt_tokens: 3, total_tokens: 3 });
    // Sent in parallel (any order); answered in the inputs' order (the mock's vectors start with length % 7 / 7).
    expect(titan.data.map((d) => d.embedding[0])).toEqual([0, Math.fround(5 / 7)]); // the SDK asks for base64 float32
    expect(bedrock.received.map((r) => r.body).sort((a, b) => a.inputText.localeCompare(b.inputText))).toEqual([{ inputText: 'one two', dimensions: 3 }, { inputText: 'three', dimensions: 3 }]);
    expect(bedrock.received.every((r) => r.signatureProblem === null && r.path === '/model/amazon.titan-embed-text-v2%3A0/invoke')).toBe(true);

    bedrock.reset();
    const cohere = await f.client().embeddings.create({ model: 'br-cohere', input: ['a', 'b', 'c'] });
    expect(cohere.data.length).toBe(3);
    expect(bedrock.received.map((r) => r.body)).toEqual([{ texts: ['a', 'b', 'c'], input_type: 'search_document' }]);
  });
});

describe('bedrock/: failures', () => {
  test('ThrottlingException (HTTP, or as the first stream event) is retried, then the fallback answers', async () => {
    bedrock.script('flaky.model-v1', { status: 429, errorType: 'ThrottlingException' }, { status: 429, errorType: 'ThrottlingException' });
    const res = await f.client().chat.completions.create({ model: 'br-flaky', messages: [{ role: 'user', content: 'hi' }] });
    expect(res.choices[0]!.message.content).toBe('echo: hi');
    expect(bedrock.received.map((r) => r.path.split('/')[2])).toEqual(['flaky.model-v1', 'flaky.model-v1', 'anthropic.claude-3-5-sonnet-20240620-v1%3A0']);
    expect(f.gw.usageRows().at(-1)).toMatchObject({ model: 'br', status: 200 });

    bedrock.reset();
    bedrock.script('flaky.model-v1', { streamException: 'throttlingException' });
    const stream = await f.client().chat.completions.create({ model: 'br-flaky', messages: [{ role: 'user', content: 'again' }], stream: true });
    let text = '';
    for await (const c of stream) text += c.choices[0]?.delta.content ?? '';
    expect(text).toBe('echo: again');
    expect(bedrock.received.length).toBe(2); // the throttled stream, then the retry on the same deployment
  });

  test('a ValidationException is a 400 with its type as the code, not retried', async () => {
    bedrock.script('anthropic.claude-3-5-sonnet-20240620-v1:0', { status: 400, errorType: 'ValidationException' });
    const err = await f.client().chat.completions.create({ model: 'br', messages: [{ role: 'user', content: 'hi' }] }).catch((e) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect(err.code).toBe('ValidationException');
    expect(err.message).toContain('mock bedrock failure 400');
    expect(bedrock.received.length).toBe(1);
  });

  test('a wrong secret key: the signature does not verify, 403 reaches the caller without the secret', async () => {
    const err = await f.client().chat.completions.create({ model: 'br-bad-secret', messages: [{ role: 'user', content: 'hi' }] }).catch((e) => e);
    expect(err).toBeInstanceOf(OpenAI.PermissionDeniedError);
    expect(err.code).toBe('InvalidSignatureException');
    expect(err.message).not.toContain('wrong-secret-key-value');
    expect(bedrock.received[0]!.signatureProblem).toBe('signature mismatch');
  });

  test('an image link (not data:) is refused before anything is sent', async () => {
    const err = await f.client().chat.completions.create({ model: 'br', messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'https://example.com/cat.png' } }] }] }).catch((e) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect(err.message).toContain('data: URLs');
    expect(bedrock.received.length).toBe(0);
  });
});

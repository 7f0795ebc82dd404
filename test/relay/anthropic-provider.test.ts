/** anthropic/ deployments driven with the official openai SDK: the chat completions mapping, end to end. */
import { afterAll, beforeEach, describe, expect, test } from 'bun:test';
import OpenAI from 'openai';
import { testGateway } from '../support/app';
import { MockAnthropic } from '../support/mock-anthropic';

const mock = new MockAnthropic().start();
const yaml = `
model_list:
  - model_name: claude
    litellm_params: { model: anthropic/claude-test, api_base: "${mock.base('a1')}", api_key: os.environ/ANTHROPIC_KEY }
    model_info: { mode: chat }
  - model_name: claude-pair
    litellm_params: { model: anthropic/claude-test, api_base: "${mock.base('busy')}", api_key: os.environ/ANTHROPIC_KEY, weight: 1000000000 }
  - model_name: claude-pair
    litellm_params: { model: anthropic/claude-test, api_base: "${mock.base('calm')}", api_key: os.environ/ANTHROPIC_KEY, weight: 0.000000001 }
  - model_name: claude-down
    litellm_params: { model: anthropic/claude-down, api_base: "${mock.base('down')}", api_key: os.environ/ANTHROPIC_KEY }
  - model_name: claude-embed
    litellm_params: { model: anthropic/claude-test, api_base: "${mock.base('a1')}", api_key: os.environ/ANTHROPIC_KEY }
num_retries: 1
fallbacks: [{ claude-down: [claude] }]
`;
const gw = testGateway({ routerYaml: yaml, env: { ANTHROPIC_KEY: 'sk-ant-upstream' } });
const url = gw.listen();
const client = new OpenAI({ apiKey: gw.adminKey, baseURL: `${url}/v1`, maxRetries: 0 });
afterAll(async () => {
  gw.close();
  await mock.stop();
});
beforeEach(() => {
  mock.reset();
  gw.usageRows();
  gw.db.sqlite.run('DELETE FROM usage');
});

const weather = (name: string) => ({ type: 'function' as const, function: { name, description: `Weather via ${name}`, parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } } });

describe('anthropic/ deployments through /v1/chat/completions', () => {
  test('plain: the Messages API request (system, defaults, own key only), the mapped answer, usage with cached tokens recorded', async () => {
    const res = await client.chat.completions.create({
      model: 'claude',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'developer', content: 'Be kind.' },
        { role: 'user', content: 'hello there' },
      ],
      stop: 'END',
      temperature: 0.5,
      top_p: 0.9,
      user: 'end-user-1',
    });
    expect(res.choices[0]!.message.content).toBe('echo: hello there');
    expect(res.choices[0]!.finish_reason).toBe('stop');
    // input 2+2+2 words plus 4 read from the cache; output "echo: hello there".
    expect(res.usage).toMatchObject({ prompt_tokens: 10, completion_tokens: 3, total_tokens: 13, prompt_tokens_details: { cached_tokens: 4 } });
    const [sent] = mock.requestsTo('a1');
    expect(sent!.path).toBe('/messages');
    expect(sent!.body).toEqual({
      model: 'claude-test',
      system: 'Be brief.\n\nBe kind.',
      messages: [{ role: 'user', content: [{ type: 'text', text: 'hello there' }] }],
      max_tokens: 4096,
      stop_sequences: ['END'],
      temperature: 0.5,
      top_p: 0.9,
      metadata: { user_id: 'end-user-1' },
    });
    expect(sent!.headers['x-api-key']).toBe('sk-ant-upstream');
    expect(sent!.headers['anthropic-version']).toBe('2023-06-01');
    expect(sent!.headers.authorization).toBeUndefined();
    expect(JSON.stringify(sent!.headers)).not.toContain(gw.adminKey);
    const [row] = gw.usageRows();
    expect(row).toMatchObject({ model: 'claude', status: 200, input_tokens: 10, output_tokens: 3, deployment: 'claude#0' });
  });

  test('max_completion_tokens becomes max_tokens', async () => {
    await client.chat.completions.create({ model: 'claude', messages: [{ role: 'user', content: 'x' }], max_completion_tokens: 77 });
    expect(mock.received[0]!.body.max_tokens).toBe(77);
  });

  test('stream with include_usage: text deltas, finish_reason, the usage chunk; usage recorded', async () => {
    const stream = await client.chat.completions.create({ model: 'claude', messages: [{ role: 'user', content: 'stream me please' }], stream: true, stream_options: { include_usage: true } });
    let text = '';
    const finishes: string[] = [];
    let usage: OpenAI.CompletionUsage | undefined;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      if (chunk.choices[0]?.finish_reason) finishes.push(chunk.choices[0].finish_reason);
      if (chunk.usage) usage = chunk.usage;
    }
    expect(text).toBe('echo: stream me please');
    expect(finishes).toEqual(['stop']);
    expect(usage).toMatchObject({ prompt_tokens: 3, completion_tokens: 4 });
    expect(mock.received[0]!.body.stream).toBe(true);
    const [row] = gw.usageRows();
    expect(row).toMatchObject({ status: 200, stream: 1, input_tokens: 3, output_tokens: 4 });
  });

  test('tools round trip with parallel calls (JSON and stream), then tool results', async () => {
    const tools = [weather('get_weather'), weather('get_forecast')];
    const first = await client.chat.completions.create({ model: 'claude', messages: [{ role: 'user', content: 'weather?' }], tools, tool_choice: 'required' });
    const calls = first.choices[0]!.message.tool_calls! as OpenAI.ChatCompletionMessageFunctionToolCall[];
    expect(first.choices[0]!.finish_reason).toBe('tool_calls');
    expect(calls.map((c) => [c.id, c.function.name, JSON.parse(c.function.arguments)])).toEqual([
      ['toolu_mock1', 'get_weather', { city: 'Vienna' }],
      ['toolu_mock2', 'get_forecast', { city: 'Graz' }],
    ]);
    expect(mock.received[0]!.body.tools[0]).toEqual({ name: 'get_weather', description: 'Weather via get_weather', input_schema: tools[0]!.function.parameters });
    expect(mock.received[0]!.body.tool_choice).toEqual({ type: 'any' });

    // The same in a stream: the SDK's accumulator puts the argument fragments together by OpenAI index.
    const stream = client.chat.completions.stream({ model: 'claude', messages: [{ role: 'user', content: 'weather?' }], tools });
    const streamed = await stream.finalChatCompletion();
    expect(streamed.choices[0]!.finish_reason).toBe('tool_calls');
    expect((streamed.choices[0]!.message.tool_calls as OpenAI.ChatCompletionMessageFunctionToolCall[]).map((c) => JSON.parse(c.function.arguments))).toEqual([{ city: 'Vienna' }, { city: 'Graz' }]);

    const second = await client.chat.completions.create({
      model: 'claude',
      tools,
      messages: [
        { role: 'user', content: 'weather?' },
        first.choices[0]!.message,
        { role: 'tool', tool_call_id: 'toolu_mock1', content: 'sunny' },
        { role: 'tool', tool_call_id: 'toolu_mock2', content: 'rainy' },
      ],
    });
    expect(second.choices[0]!.message.content).toBe('result: sunny rainy');
    const sent = mock.received.at(-1)!.body;
    expect(sent.messages[1]).toEqual({
      role: 'assistant',
      content: [
        { type: 'tool_use', id: 'toolu_mock1', name: 'get_weather', input: { city: 'Vienna' } },
        { type: 'tool_use', id: 'toolu_mock2', name: 'get_forecast', input: { city: 'Graz' } },
      ],
    });
    // Both results in one user turn, as Anthropic requires.
    expect(sent.messages[2]).toEqual({ role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_mock1', content: 'sunny' }, { type: 'tool_result', tool_use_id: 'toolu_mock2', content: 'rainy' }] });
  });

  test('tool_choice named and parallel_tool_calls: false', async () => {
    const tools = [weather('get_weather'), weather('get_forecast')];
    const res = await client.chat.completions.create({ model: 'claude', messages: [{ role: 'user', content: 'go' }], tools, tool_choice: { type: 'function', function: { name: 'get_forecast' } }, parallel_tool_calls: false });
    expect(mock.received[0]!.body.tool_choice).toEqual({ type: 'tool', name: 'get_forecast', disable_parallel_tool_use: true });
    expect((res.choices[0]!.message.tool_calls as OpenAI.ChatCompletionMessageFunctionToolCall[]).map((c) => c.function.name)).toEqual(['get_forecast']);
  });

  test('response_format json_schema: answered through a forced tool, returned as JSON content', async () => {
    const schema = { type: 'object', properties: { answer: { type: 'string' } }, required: ['answer'] };
    const res = await client.chat.completions.create({ model: 'claude', messages: [{ role: 'user', content: 'meaning?' }], response_format: { type: 'json_schema', json_schema: { name: 'reply', schema } } });
    expect(JSON.parse(res.choices[0]!.message.content!)).toEqual({ answer: 'forty-two' });
    expect(res.choices[0]!.finish_reason).toBe('stop');
    expect(res.choices[0]!.message.tool_calls).toBeUndefined();
    expect(mock.received[0]!.body.tools).toEqual([{ name: 'json_tool_call', description: 'Respond with a JSON value of this schema.', input_schema: schema }]);
    expect(mock.received[0]!.body.tool_choice).toEqual({ type: 'tool', name: 'json_tool_call' });

    const stream = await client.chat.completions.create({ model: 'claude', messages: [{ role: 'user', content: 'meaning?' }], stream: true, response_format: { type: 'json_schema', json_schema: { name: 'reply', schema } } });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    expect(JSON.parse(text)).toEqual({ answer: 'forty-two' });
  });

  test('images: data URLs become base64 sources, other URLs url sources', async () => {
    await client.chat.completions.create({
      model: 'claude',
      messages: [{ role: 'user', content: [{ type: 'text', text: 'what is this' }, { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } }, { type: 'image_url', image_url: { url: 'https://example.com/cat.jpg' } }] }],
    });
    expect(mock.received[0]!.body.messages[0].content).toEqual([
      { type: 'text', text: 'what is this' },
      { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgo=' } },
      { type: 'image', source: { type: 'url', url: 'https://example.com/cat.jpg' } },
    ]);
  });

  test('reasoning_effort → a thinking budget; thinking comes back as reasoning_content (JSON and stream)', async () => {
    const res = await client.chat.completions.create({ model: 'claude', messages: [{ role: 'user', content: 'ponder' }], reasoning_effort: 'low' });
    expect(mock.received[0]!.body.thinking).toEqual({ type: 'enabled', budget_tokens: 1024 });
    expect(mock.received[0]!.body.max_tokens).toBe(4096); // the default, above the budget
    const message = res.choices[0]!.message as unknown as Record<string, unknown>;
    expect(message.reasoning_content).toBe('Thinking about: ponder');
    expect(message.content).toBe('echo: ponder');

    const stream = await client.chat.completions.create({ model: 'claude', messages: [{ role: 'user', content: 'ponder' }], reasoning_effort: 'high', stream: true });
    let reasoning = '';
    let text = '';
    for await (const chunk of stream) {
      const delta = chunk.choices[0]?.delta as Record<string, unknown> | undefined;
      reasoning += (delta?.reasoning_content as string | undefined) ?? '';
      text += (delta?.content as string | undefined) ?? '';
    }
    expect(reasoning).toBe('Thinking about: ponder');
    expect(text).toBe('echo: ponder');
    expect(mock.received[1]!.body.thinking).toEqual({ type: 'enabled', budget_tokens: 4096 });
    expect(mock.received[1]!.body.max_tokens).toBe(4096 + 4096); // the default must stay above the budget
  });

  test('529 overloaded is retried on the other deployment', async () => {
    mock.script('busy', { status: 529 });
    const res = await client.chat.completions.create({ model: 'claude-pair', messages: [{ role: 'user', content: 'hi' }] });
    expect(res.choices[0]!.message.content).toBe('echo: hi');
    expect(mock.requestsTo('busy').length).toBe(1);
    expect(mock.requestsTo('calm').length).toBe(1);
    expect(gw.usageRows()[0]).toMatchObject({ model: 'claude-pair', deployment: 'claude-pair#2', status: 200 });
  });

  test('529 on every attempt: the fallback model answers', async () => {
    mock.script('down', { status: 529 }, { status: 529 });
    const res = await client.chat.completions.create({ model: 'claude-down', messages: [{ role: 'user', content: 'hi' }] });
    expect(res.choices[0]!.message.content).toBe('echo: hi');
    expect(mock.requestsTo('down').length).toBe(2); // num_retries: 1
    expect(gw.usageRows()[0]).toMatchObject({ model: 'claude', status: 200 });
  });

  test('Anthropic 400 and 401: status kept, OpenAI error shape, not retried', async () => {
    mock.script('a1', { status: 400, message: 'messages: roles must alternate' });
    const bad = await client.chat.completions.create({ model: 'claude', messages: [{ role: 'user', content: 'x' }] }).catch((e) => e);
    expect(bad).toBeInstanceOf(OpenAI.BadRequestError);
    expect(bad.error).toMatchObject({ message: 'messages: roles must alternate', type: 'invalid_request_error', code: 'invalid_request_error' });
    expect(mock.requestsTo('a1').length).toBe(1);
    mock.script('a1', { status: 401, message: 'invalid x-api-key' });
    const denied = await client.chat.completions.create({ model: 'claude', messages: [{ role: 'user', content: 'x' }] }).catch((e) => e);
    expect(denied.status).toBe(401);
    expect(denied.error.type).toBe('authentication_error');
  });

  test('embeddings, images and speech on an anthropic deployment: a clear 400, nothing sent', async () => {
    const e = await client.embeddings.create({ model: 'claude-embed', input: 'x' }).catch((err) => err);
    expect(e.status).toBe(400);
    expect(e.error.message).toContain('Anthropic deployments serve chat completions only, not /v1/embeddings');
    const i = await client.images.generate({ model: 'claude-embed', prompt: 'x' }).catch((err) => err);
    expect(i.status).toBe(400);
    expect(mock.received.length).toBe(0);
  });
});

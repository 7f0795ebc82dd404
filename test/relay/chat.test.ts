/** Chat completions through the gateway with the official openai SDK. */
import { afterAll, beforeEach, describe, expect, test } from 'bun:test';
import OpenAI from 'openai';
import { relayFixture, STANDARD_MODELS } from '../support/relay-fixture';

const f = relayFixture(STANDARD_MODELS);
afterAll(() => f.close());
beforeEach(() => f.reset());

describe('chat completions', () => {
  test('non-stream: the upstream answer, and its usage recorded', async () => {
    const res = await f.client().chat.completions.create({ model: 'gpt-test', messages: [{ role: 'user', content: 'hello there' }] });
    expect(res.choices[0]!.message.content).toBe('echo: hello there');
    expect(res.usage).toMatchObject({ prompt_tokens: 5, completion_tokens: 3 });
    const [row] = f.gw.usageRows();
    expect(row).toMatchObject({ model: 'gpt-test', endpoint: 'chat', status: 200, input_tokens: 5, output_tokens: 3, stream: 0, deployment: 'gpt-test#0' });
    expect(row!.request_id).toBe(res._request_id);
    expect(row!.latency_ms).toBeGreaterThanOrEqual(0);
  });

  test('stream: chunks reassemble into the answer; no usage chunk unless asked, but usage is recorded', async () => {
    f.mock.extraWords = 20;
    const stream = await f.client().chat.completions.create({ model: 'gpt-test', messages: [{ role: 'user', content: 'stream me' }], stream: true });
    let text = '';
    let chunks = 0;
    for await (const chunk of stream) {
      chunks++;
      expect(chunk.choices.length).toBe(1); // the usage-only chunk (choices: []) was not asked for
      text += chunk.choices[0]!.delta.content ?? '';
    }
    expect(text).toBe(`echo: stream me${' more'.repeat(20)}`);
    expect(chunks).toBeGreaterThan(20);
    // The gateway asked upstream for usage anyway.
    expect(f.mock.received[0]!.body.stream_options).toEqual({ include_usage: true });
    const [row] = f.gw.usageRows();
    expect(row).toMatchObject({ status: 200, stream: 1, input_tokens: 5, output_tokens: 23 });
    expect(row!.ttft_ms).not.toBeNull();
  });

  test('stream with include_usage: the usage chunk reaches the client', async () => {
    const stream = await f.client().chat.completions.create({
      model: 'main',
      messages: [{ role: 'user', content: 'count' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    const chunks: OpenAI.ChatCompletionChunk[] = [];
    for await (const chunk of stream) chunks.push(chunk);
    const last = chunks.at(-1)!;
    expect(last.choices).toEqual([]);
    expect(last.usage).toMatchObject({ prompt_tokens: 4, completion_tokens: 2 });
    expect(f.gw.usageRows()[0]).toMatchObject({ model: 'gpt-test', input_tokens: 4, output_tokens: 2 });
  });

  test('tools and every other field pass through; model is replaced; user_id is recorded, not forwarded', async () => {
    const tools: OpenAI.ChatCompletionTool[] = [
      { type: 'function', function: { name: 'get_weather', description: 'Weather', parameters: { type: 'object', properties: { city: { type: 'string' } } }, strict: true } },
    ];
    const body = {
      model: 'coding',
      messages: [{ role: 'system' as const, content: 'be brief' }, { role: 'user' as const, content: 'weather?' }],
      tools,
      tool_choice: 'auto' as const,
      response_format: { type: 'json_object' as const },
      logprobs: true,
      top_logprobs: 2,
      temperature: 0.3,
      metadata: { team: 'x' },
      some_future_field: { nested: [1, 2, 3] },
      user_id: 'emmy@example.com',
    };
    const res = await f.client().chat.completions.create(body as any);
    expect(res.choices[0]!.finish_reason).toBe('tool_calls');
    expect(res.choices[0]!.message.tool_calls![0]).toMatchObject({ type: 'function', function: { name: 'get_weather', arguments: '{"city":"Vienna"}' } });
    const sent = f.mock.received[0]!.body;
    const { user_id: _dropped, model: _model, ...rest } = body;
    expect(sent).toEqual({ ...rest, model: 'gpt-upstream' });
    expect('user_id' in sent).toBe(false);
    expect(f.gw.usageRows()[0]).toMatchObject({ end_user_id: 'emmy@example.com', model: 'gpt-test' });
  });

  test("the caller's gateway key never goes upstream; the deployment's key does", async () => {
    const key = f.gw.newKey('someone@example.com');
    await f.client({ key }).chat.completions.create({ model: 'gpt-test', messages: [{ role: 'user', content: 'hi' }] });
    await f.client({ key }).chat.completions.create({ model: 'gpt-test', messages: [{ role: 'user', content: 'hi' }], stream: true }).then(async (s) => {
      for await (const _ of s);
    });
    expect(f.mock.received).toHaveLength(2);
    for (const r of f.mock.received) {
      expect(r.headers.authorization).toBe('Bearer sk-upstream-secret');
      expect(JSON.stringify(r.headers)).not.toContain(key);
      expect(JSON.stringify(r.body)).not.toContain(key);
      for (const h of Object.keys(r.headers)) expect(h.startsWith('x-stainless')).toBe(false);
    }
  });

  test('unknown model → 404 model_not_found (SDK NotFoundError), recorded', async () => {
    const err = await f.client().chat.completions.create({ model: 'gpt-nope', messages: [{ role: 'user', content: 'x' }] }).catch((e) => e);
    expect(err).toBeInstanceOf(OpenAI.NotFoundError);
    expect(err.code).toBe('model_not_found');
    expect(err.param).toBe('model');
    expect(f.mock.received).toHaveLength(0);
    expect(f.gw.usageRows().at(-1)).toMatchObject({ model: 'gpt-nope', status: 404 });
  });

  test('a model of another mode → 400 naming the endpoints it serves', async () => {
    const err = await f.client().chat.completions.create({ model: 'embed', messages: [{ role: 'user', content: 'x' }] }).catch((e) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect(err.message).toContain('/v1/embeddings');
    expect(err.headers.get('x-should-retry')).toBe('false');
  });

  test('invalid bodies → 400 naming the parameter; nothing goes upstream', async () => {
    const client = f.client();
    let err = await client.chat.completions.create({ model: 'gpt-test' } as any).catch((e) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect(err.param).toBe('messages');
    err = await client.chat.completions.create({ model: 'gpt-test', messages: [] }).catch((e) => e);
    expect(err.param).toBe('messages');
    err = await client.chat.completions.create({ messages: [{ role: 'user', content: 'x' }] } as any).catch((e) => e);
    expect(err.param).toBe('model');
    expect(f.mock.received).toHaveLength(0);
  });
});

/** POST /v1/messages and /v1/messages/count_tokens with the official @anthropic-ai/sdk: translated (demo) and passed through (Anthropic mock). */
import Anthropic from '@anthropic-ai/sdk';
import { afterAll, beforeEach, describe, expect, test } from 'bun:test';
import { testGateway } from '../support/app';
import { MockAnthropic } from '../support/mock-anthropic';

const mock = new MockAnthropic().start();
const yaml = `
model_list:
  - model_name: demo-chat
    litellm_params: { model: demo/chat }
    model_info: { mode: chat }
  - model_name: claude
    litellm_params: { model: anthropic/claude-upstream, api_base: "${mock.base('a1')}", api_key: os.environ/ANTHROPIC_KEY }
  - model_name: demo-embed
    litellm_params: { model: demo/embed }
    model_info: { mode: embedding }
`;
const gw = testGateway({ routerYaml: yaml, env: { ANTHROPIC_KEY: 'sk-ant-upstream' } });
const url = gw.listen();
const sdk = (key = gw.adminKey) => new Anthropic({ apiKey: key, baseURL: url, maxRetries: 0 });
afterAll(async () => {
  gw.close();
  await mock.stop();
});
beforeEach(() => {
  mock.reset();
  gw.usageRows();
  gw.db.sqlite.run('DELETE FROM usage');
});

const weatherTool = { name: 'get_weather', description: 'Weather for a city', input_schema: { type: 'object' as const, properties: { city: { type: 'string' } }, required: ['city'] } };

describe('/v1/messages translated for a demo model', () => {
  test('messages.create: the demo answer in Anthropic format, usage recorded once', async () => {
    const msg = await sdk().messages.create({ model: 'demo-chat', max_tokens: 100, system: 'Be brief.', messages: [{ role: 'user', content: 'hello there friend' }] });
    expect(msg.type).toBe('message');
    expect(msg.role).toBe('assistant');
    expect(msg.model).toBe('demo-chat');
    expect(msg.id).toMatch(/^msg_/);
    expect(msg.stop_reason).toBe('end_turn');
    expect(msg.content.length).toBe(1);
    expect(msg.content[0]!.type).toBe('text');
    expect((msg.content[0] as Anthropic.TextBlock).text).toContain('hello there friend');
    expect(msg.usage.input_tokens).toBe(5); // the demo counts words: "Be brief." + "hello there friend"
    expect(msg.usage.output_tokens).toBeGreaterThan(0);
    const rows = gw.usageRows();
    expect(rows.length).toBe(1);
    expect(rows[0]).toMatchObject({ model: 'demo-chat', endpoint: 'chat', status: 200, input_tokens: 5, output_tokens: msg.usage.output_tokens });
  });

  test('stream (text): events reassemble in the SDK; usage in message_delta; usage recorded', async () => {
    const stream = sdk().messages.stream({ model: 'demo-chat', max_tokens: 100, messages: [{ role: 'user', content: 'stream these words please' }] });
    const events: string[] = [];
    stream.on('streamEvent', (e) => events.push(e.type));
    const final = await stream.finalMessage();
    expect((final.content[0] as Anthropic.TextBlock).text).toContain('stream these words please');
    expect(final.stop_reason).toBe('end_turn');
    expect(events[0]).toBe('message_start');
    expect(events.at(-1)).toBe('message_stop');
    expect(events).toContain('content_block_delta');
    expect(events.at(-2)).toBe('message_delta');
    expect(final.usage.output_tokens).toBeGreaterThan(0);
    expect(gw.usageRows()[0]).toMatchObject({ model: 'demo-chat', stream: 1, status: 200, input_tokens: 4 });
  });

  test('tool use, JSON and stream, then the tool result', async () => {
    const msg = await sdk().messages.create({ model: 'demo-chat', max_tokens: 100, tools: [weatherTool], tool_choice: { type: 'any' }, messages: [{ role: 'user', content: 'weather in Vienna?' }] });
    expect(msg.stop_reason).toBe('tool_use');
    const use = msg.content.find((b) => b.type === 'tool_use') as Anthropic.ToolUseBlock;
    expect(use.name).toBe('get_weather');
    expect(typeof (use.input as { city: unknown }).city).toBe('string');

    const streamed = await sdk().messages.stream({ model: 'demo-chat', max_tokens: 100, tools: [weatherTool], tool_choice: { type: 'any' }, messages: [{ role: 'user', content: 'weather in Vienna?' }] }).finalMessage();
    const su = streamed.content.find((b) => b.type === 'tool_use') as Anthropic.ToolUseBlock;
    expect(streamed.stop_reason).toBe('tool_use');
    expect(su.name).toBe('get_weather');
    expect(su.input).toEqual(use.input);

    const after = await sdk().messages.create({
      model: 'demo-chat',
      max_tokens: 100,
      tools: [weatherTool],
      messages: [
        { role: 'user', content: 'weather in Vienna?' },
        { role: 'assistant', content: msg.content },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: use.id, content: 'sunny and warm' }] },
      ],
    });
    expect(after.stop_reason).toBe('end_turn');
    expect((after.content[0] as Anthropic.TextBlock).text).toContain('sunny and warm');
  });

  test('count_tokens: the demo rule (words)', async () => {
    const count = await sdk().messages.countTokens({ model: 'demo-chat', system: 'Be brief.', messages: [{ role: 'user', content: 'one two three' }] });
    expect(count.input_tokens).toBe(5);
  });

  test('errors in Anthropic shape: bad key, unknown model, invalid body, wrong mode', async () => {
    const denied = await sdk('sk-not-a-key').messages.create({ model: 'demo-chat', max_tokens: 10, messages: [{ role: 'user', content: 'x' }] }).catch((e) => e);
    expect(denied).toBeInstanceOf(Anthropic.AuthenticationError);
    expect(denied.error).toMatchObject({ type: 'error', error: { type: 'authentication_error' } });
    const unknown = await sdk().messages.create({ model: 'nope', max_tokens: 10, messages: [{ role: 'user', content: 'x' }] }).catch((e) => e);
    expect(unknown).toBeInstanceOf(Anthropic.NotFoundError);
    expect(unknown.error.error.type).toBe('not_found_error');
    const invalid = await fetch(`${url}/v1/messages`, { method: 'POST', headers: { 'x-api-key': gw.adminKey, 'content-type': 'application/json' }, body: JSON.stringify({ model: 'demo-chat', messages: [] }) });
    expect(invalid.status).toBe(400);
    expect(await invalid.json()).toMatchObject({ type: 'error', error: { type: 'invalid_request_error' } });
    const embed = await sdk().messages.create({ model: 'demo-embed', max_tokens: 10, messages: [{ role: 'user', content: 'x' }] }).catch((e) => e);
    expect(embed.status).toBe(400);
    expect(embed.error.error.message).toContain('embedding model');
  });

  test('a bad key is refused before the body is read: a body that never ends still gets its 401 at once', async () => {
    // A body stream that sends the start of a JSON object and then stalls.
    const stalled = () => new ReadableStream<Uint8Array>({ start: (c) => c.enqueue(new TextEncoder().encode('{"model":"demo-chat","messages":[')) });
    for (const path of ['/v1/messages', '/messages/count_tokens']) {
      const res = await fetch(`${url}${path}`, { method: 'POST', headers: { 'x-api-key': 'sk-not-a-key', 'content-type': 'application/json' }, body: stalled(), signal: AbortSignal.timeout(3_000) });
      expect(res.status).toBe(401);
      expect(await res.json()).toMatchObject({ type: 'error', error: { type: 'authentication_error' } });
    }
  });

  test('bare /messages and Authorization: Bearer work too', async () => {
    const res = await fetch(`${url}/messages`, { method: 'POST', headers: { authorization: `Bearer ${gw.adminKey}`, 'content-type': 'application/json' }, body: JSON.stringify({ model: 'demo-chat', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] }) });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { type: string }).type).toBe('message');
  });
});

describe('/v1/messages passed through to an anthropic/ deployment', () => {
  test('messages.create: the original request (cache_control, thinking, top_k) with the deployment model and key; never the gateway key', async () => {
    const msg = await sdk().messages.create({
      model: 'claude',
      max_tokens: 3000,
      ...({ top_k: 5 } as object), // not in this SDK version's types; passed through all the same
      thinking: { type: 'enabled', budget_tokens: 2000 },
      system: [{ type: 'text', text: 'Be brief.', cache_control: { type: 'ephemeral' } }],
      messages: [{ role: 'user', content: 'hello there' }],
    });
    const [sent] = mock.requestsTo('a1');
    expect(sent!.body).toEqual({
      model: 'claude-upstream',
      max_tokens: 3000,
      top_k: 5,
      thinking: { type: 'enabled', budget_tokens: 2000 },
      system: [{ type: 'text', text: 'Be brief.', cache_control: { type: 'ephemeral' } }],
      messages: [{ role: 'user', content: 'hello there' }],
    });
    expect(sent!.headers['x-api-key']).toBe('sk-ant-upstream');
    expect(sent!.headers.authorization).toBeUndefined();
    expect(JSON.stringify(sent!.headers)).not.toContain(gw.adminKey);
    expect(msg.content.map((b) => b.type)).toEqual(['thinking', 'text']);
    expect(msg.content[0]).toEqual({ type: 'thinking', thinking: 'Thinking about: hello there', signature: 'sig-1' });
    expect((msg.content[1] as Anthropic.TextBlock).text).toBe('echo: hello there');
    expect(msg.usage).toMatchObject({ input_tokens: 4, cache_read_input_tokens: 4, output_tokens: 7 });
    expect(gw.usageRows()[0]).toMatchObject({ model: 'claude', status: 200, input_tokens: 8, output_tokens: 7 });
  });

  test('stream with parallel tool use: blocks, input_json_delta and stop_reason tool_use', async () => {
    const tools = [weatherTool, { ...weatherTool, name: 'get_forecast' }];
    const final = await sdk().messages.stream({ model: 'claude', max_tokens: 100, tools, messages: [{ role: 'user', content: 'weather?' }] }).finalMessage();
    expect(final.stop_reason).toBe('tool_use');
    expect(final.content.map((b) => [b.type, (b as Anthropic.ToolUseBlock).name, (b as Anthropic.ToolUseBlock).input])).toEqual([
      ['tool_use', 'get_weather', { city: 'Vienna' }],
      ['tool_use', 'get_forecast', { city: 'Graz' }],
    ]);
    expect(mock.received[0]!.body.stream).toBe(true);
    expect(gw.usageRows()[0]).toMatchObject({ model: 'claude', stream: 1, status: 200, output_tokens: 6 });
  });

  test('count_tokens is relayed to Anthropic', async () => {
    const count = await sdk().messages.countTokens({ model: 'claude', messages: [{ role: 'user', content: 'one two three' }] });
    expect(count.input_tokens).toBe(1003); // the mock adds 1000, so a local estimate cannot pass
    expect(mock.received[0]!.path).toBe('/messages/count_tokens');
    expect(mock.received[0]!.headers['x-api-key']).toBe('sk-ant-upstream');
  });

  test('an upstream 400 comes back in Anthropic shape with its status', async () => {
    mock.script('a1', { status: 400, message: 'messages: bad thing' });
    const err = await sdk().messages.create({ model: 'claude', max_tokens: 10, messages: [{ role: 'user', content: 'x' }] }).catch((e) => e);
    expect(err).toBeInstanceOf(Anthropic.BadRequestError);
    expect(err.error).toEqual({ type: 'error', error: { type: 'invalid_request_error', message: 'messages: bad thing' } });
  });
});

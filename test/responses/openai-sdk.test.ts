/**
 * The Responses API through the gateway with the official openai SDK, in both modes: `native` (the mock's
 * own /responses) and `translated` (a chat-only mock: the gateway translates to chat completions and back).
 * What a user notices: the answers, the stream's events, retrieve/delete/input_items, chains, tools, JSON
 * output, and that usage is recorded.
 */
import { afterAll, beforeEach, describe, expect, test } from 'bun:test';
import OpenAI from 'openai';
import { relayFixture } from '../support/relay-fixture';
import { RESPONSES_MODELS, statusOf } from '../support/responses';

const f = relayFixture(RESPONSES_MODELS);
afterAll(() => f.close());
beforeEach(() => f.reset());

const weather: OpenAI.Responses.FunctionTool = {
  type: 'function',
  name: 'get_weather',
  description: 'The weather in a city',
  parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'], additionalProperties: false },
  strict: true,
};

for (const [model, deployment, mode] of [
  ['native-model', 'native', 'native'],
  ['chat-only', 'chatonly', 'translated'],
] as const) {
  describe(`responses (${mode})`, () => {
    test('create: the answer as output_text, usage in the answer and in the usage table', async () => {
      const r = await f.client().responses.create({ model, instructions: 'Be brief.', input: 'hello there' });
      expect(r.object).toBe('response');
      expect(r.id).toMatch(/^resp_/);
      expect(r.status).toBe('completed');
      expect(r.output_text).toBe('echo: hello there');
      expect(r.usage!.input_tokens).toBeGreaterThan(0);
      expect(r.usage!.output_tokens).toBeGreaterThan(0);
      const [row] = f.gw.usageRows();
      expect(row).toMatchObject({ model, endpoint: 'responses', status: 200, stream: 0, deployment: `${model}#${mode === 'native' ? 0 : 1}`, input_tokens: r.usage!.input_tokens, output_tokens: r.usage!.output_tokens });
      const sent = f.mock.requestsTo(deployment)[0]!;
      if (mode === 'native') expect(sent).toMatchObject({ path: '/responses', body: { model: 'gpt-upstream', input: 'hello there', instructions: 'Be brief.' } });
      else expect(sent).toMatchObject({ path: '/chat/completions', body: { model: 'llama-upstream', messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'hello there' }] } });
      expect(sent.headers.authorization).toBe('Bearer sk-upstream-secret');
    });

    test('stream: the full event sequence, in order, with sequence numbers; usage recorded', async () => {
      const stream = await f.client().responses.create({ model, input: 'stream these words', stream: true });
      const events: OpenAI.Responses.ResponseStreamEvent[] = [];
      for await (const e of stream) events.push(e);
      const types = events.map((e) => e.type);
      expect(types.slice(0, 2)).toEqual(['response.created', 'response.in_progress']);
      expect(types.at(-1)).toBe('response.completed');
      for (const t of ['response.output_item.added', 'response.content_part.added', 'response.output_text.delta', 'response.output_text.done', 'response.content_part.done', 'response.output_item.done']) {
        expect(types).toContain(t as never);
      }
      expect(types.indexOf('response.output_text.done')).toBeGreaterThan(types.lastIndexOf('response.output_text.delta'));
      expect(events.map((e) => e.sequence_number)).toEqual(events.map((_, i) => i));
      const text = events.flatMap((e) => (e.type === 'response.output_text.delta' ? [e.delta] : [])).join('');
      expect(text).toBe('echo: stream these words');
      const done = events.at(-1) as OpenAI.Responses.ResponseCompletedEvent;
      expect(done.response.output_text ?? text).toBe(text);
      expect(done.response.usage!.output_tokens).toBeGreaterThan(0);
      const [row] = f.gw.usageRows();
      expect(row).toMatchObject({ endpoint: 'responses', status: 200, stream: 1, input_tokens: done.response.usage!.input_tokens, output_tokens: done.response.usage!.output_tokens });
      expect(row!.ttft_ms).not.toBeNull();
    });

    test('the SDK stream helper assembles the final response', async () => {
      const final = await f.client().responses.stream({ model, input: 'helper test' }).finalResponse();
      expect(final.output_text).toBe('echo: helper test');
      expect(final.status).toBe('completed');
    });

    test('retrieve, input_items and delete; then it is gone', async () => {
      const client = f.client();
      const r = await client.responses.create({ model, input: 'keep me' });
      const again = await client.responses.retrieve(r.id);
      expect(again.id).toBe(r.id);
      expect(again.output_text).toBe('echo: keep me');
      const items = await client.responses.inputItems.list(r.id);
      expect(items.data).toHaveLength(1);
      expect(items.data[0]).toMatchObject({ type: 'message', role: 'user' });
      expect(JSON.stringify(items.data[0])).toContain('keep me');
      await client.responses.delete(r.id);
      expect(await statusOf(client.responses.retrieve(r.id))).toBe(404);
      expect(await statusOf(client.responses.delete(r.id))).toBe(404);
    });

    test('a previous_response_id chain carries the conversation', async () => {
      const client = f.client();
      const first = await client.responses.create({ model, input: 'my name is Ada' });
      const second = await client.responses.create({ model, input: 'what is my name?', previous_response_id: first.id });
      expect(second.output_text).toBe('echo: what is my name?');
      expect(second.previous_response_id).toBe(first.id);
      const sent = f.mock.requestsTo(deployment)[1]!.body;
      if (mode === 'native') expect(sent.previous_response_id).toBe(first.id);
      else {
        expect(sent.messages).toEqual([
          { role: 'user', content: [{ type: 'text', text: 'my name is Ada' }] },
          { role: 'assistant', content: 'echo: my name is Ada' },
          { role: 'user', content: [{ type: 'text', text: 'what is my name?' }] },
        ]);
      }
      const third = await client.responses.create({ model, input: 'and again', previous_response_id: second.id });
      if (mode === 'translated') expect(f.mock.requestsTo(deployment)[2]!.body.messages).toHaveLength(5);
      expect(third.output_text).toBe('echo: and again');
      // Only its own input is listed.
      const items = await client.responses.inputItems.list(second.id);
      expect(items.data).toHaveLength(1);
    });

    test('a function tool round trip', async () => {
      const client = f.client();
      const call = await client.responses.create({ model, input: 'weather in Vienna?', tools: [weather] });
      const fc = call.output.find((o) => o.type === 'function_call') as OpenAI.Responses.ResponseFunctionToolCall;
      expect(fc).toMatchObject({ type: 'function_call', name: 'get_weather' });
      expect(JSON.parse(fc.arguments)).toEqual({ city: 'Vienna' });
      const answer = await client.responses.create({
        model,
        previous_response_id: call.id,
        tools: [weather],
        input: [{ type: 'function_call_output', call_id: fc.call_id, output: 'sunny, 24 degrees' }],
      });
      expect(answer.output_text).toBe('echo: sunny, 24 degrees');
      if (mode === 'translated') {
        const sent = f.mock.requestsTo(deployment)[1]!.body;
        expect(sent.tools).toEqual([{ type: 'function', function: { name: 'get_weather', description: 'The weather in a city', parameters: weather.parameters, strict: true } }]);
        expect(sent.messages.at(-2)).toMatchObject({ role: 'assistant', tool_calls: [{ id: fc.call_id, type: 'function', function: { name: 'get_weather' } }] });
        expect(sent.messages.at(-1)).toEqual({ role: 'tool', tool_call_id: fc.call_id, content: 'sunny, 24 degrees' });
      }
    });

    test('a streamed function call: arguments arrive as deltas, then done', async () => {
      const events: OpenAI.Responses.ResponseStreamEvent[] = [];
      for await (const e of await f.client().responses.create({ model, input: 'weather?', tools: [weather], stream: true })) events.push(e);
      const args = events.flatMap((e) => (e.type === 'response.function_call_arguments.delta' ? [e.delta] : [])).join('');
      expect(JSON.parse(args)).toEqual({ city: 'Vienna' });
      const done = events.find((e) => e.type === 'response.function_call_arguments.done') as OpenAI.Responses.ResponseFunctionCallArgumentsDoneEvent;
      expect(done.arguments).toBe(args);
      const completed = events.at(-1) as OpenAI.Responses.ResponseCompletedEvent;
      expect(completed.response.output[0]).toMatchObject({ type: 'function_call', name: 'get_weather', arguments: args });
    });

    test('json_schema output', async () => {
      const r = await f.client().responses.create({
        model,
        input: 'where?',
        text: { format: { type: 'json_schema', name: 'place', schema: { type: 'object', properties: { city: { type: 'string' }, rank: { type: 'integer' } }, required: ['city', 'rank'], additionalProperties: false }, strict: true } },
      });
      expect(JSON.parse(r.output_text)).toEqual({ city: 'Vienna', rank: 1 });
      if (mode === 'translated') expect(f.mock.requestsTo(deployment)[0]!.body.response_format).toMatchObject({ type: 'json_schema', json_schema: { name: 'place', strict: true } });
    });

    test('store: false: answered, but nothing to retrieve', async () => {
      const client = f.client();
      const r = await client.responses.create({ model, input: 'forget me', store: false });
      expect(r.output_text).toBe('echo: forget me');
      expect(await statusOf(client.responses.retrieve(r.id))).toBe(404);
    });
  });
}

describe('translation details', () => {
  test('max_output_tokens, temperature, top_p, reasoning effort and images reach the chat upstream', async () => {
    await f.client().responses.create({
      model: 'chat-only',
      input: [{ role: 'user', content: [{ type: 'input_text', text: 'what is this?' }, { type: 'input_image', image_url: 'https://example.org/cat.png', detail: 'low' }] }],
      max_output_tokens: 50,
      temperature: 0.2,
      top_p: 0.9,
      reasoning: { effort: 'low' },
    });
    expect(f.mock.requestsTo('chatonly')[0]!.body).toMatchObject({
      max_tokens: 50,
      temperature: 0.2,
      top_p: 0.9,
      reasoning_effort: 'low',
      messages: [{ role: 'user', content: [{ type: 'text', text: 'what is this?' }, { type: 'image_url', image_url: { url: 'https://example.org/cat.png', detail: 'low' } }] }],
    });
  });

  test('a tool type the translation cannot serve: 400 naming it, nothing sent upstream', async () => {
    for (const tool of [{ type: 'web_search' }, { type: 'file_search', vector_store_ids: ['vs_1'] }] as OpenAI.Responses.Tool[]) {
      const err = await f
        .client()
        .responses.create({ model: 'chat-only', input: 'x', tools: [tool] })
        .catch((e) => e);
      expect(err).toBeInstanceOf(OpenAI.BadRequestError);
      expect(err.message).toContain(`"${tool.type}"`);
    }
    expect(f.mock.requestsTo('chatonly')).toHaveLength(0);
  });

  test('a missing model is 400, an unknown one 404, like chat', async () => {
    const missing = await f.gw.request('POST', '/v1/responses', { body: { input: 'x' } });
    expect(missing.status).toBe(400);
    const unknown = await f.gw.request('POST', '/responses', { body: { model: 'nope', input: 'x' } });
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as any).error.code).toBe('model_not_found');
  });
});

describe('native details', () => {
  test('an upstream that ignores stream: true still gives the client a Responses stream', async () => {
    f.mock.script('native', { ignoreStream: true });
    const events: OpenAI.Responses.ResponseStreamEvent[] = [];
    for await (const e of await f.client().responses.create({ model: 'native-model', input: 'json anyway', stream: true })) events.push(e);
    expect(events[0]!.type).toBe('response.created');
    const done = events.at(-1) as OpenAI.Responses.ResponseCompletedEvent;
    expect(done.type).toBe('response.completed');
    expect(done.response.output[0]).toMatchObject({ type: 'message', content: [{ type: 'output_text', text: 'echo: json anyway' }] });
    expect(f.gw.usageRows()[0]).toMatchObject({ endpoint: 'responses', status: 200, stream: 1 });
    expect(f.gw.usageRows()[0]!.output_tokens).toBeGreaterThan(0);
  });
});

describe('chains across modes', () => {
  test('a chain the gateway kept continues on a native deployment: the conversation goes as input, without the gateway ids', async () => {
    const client = f.client();
    const first = await client.responses.create({ model: 'chat-only', input: 'my name is Ada' });
    const second = await client.responses.create({ model: 'native-model', input: 'what is my name?', previous_response_id: first.id });
    expect(second.status).toBe('completed');
    expect(second.output_text).toBe('echo: what is my name?');
    const sent = f.mock.requestsTo('native')[0]!.body as { input: Record<string, unknown>[]; previous_response_id?: unknown };
    expect(sent.previous_response_id).toBeUndefined();
    expect(sent.input).toMatchObject([
      { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'my name is Ada' }] },
      { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'echo: my name is Ada' }] },
      { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'what is my name?' }] },
    ]);
    expect(sent.input).toHaveLength(3);
    for (const item of sent.input) expect(item.id).toBeUndefined();
    // The native response is the caller's like any other; continuing it on a translated deployment is a clear 400.
    expect((await client.responses.retrieve(second.id)).id).toBe(second.id);
    const err = await client.responses.create({ model: 'chat-only', input: 'again', previous_response_id: second.id }).catch((e) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect(err.message).toContain(second.id);
  });
});

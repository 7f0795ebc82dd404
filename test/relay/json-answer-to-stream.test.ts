/**
 * An upstream that ignores `stream: true` and answers with one JSON body: the client still gets the
 * stream it asked for (content, finish reason, usage chunk when asked, [DONE]), never raw JSON in an
 * event stream; usage is metered; an answer that is no completion is a clean 502.
 */
import { afterAll, beforeEach, describe, expect, test } from 'bun:test';
import { relayFixture, STANDARD_MODELS } from '../support/relay-fixture';

const f = relayFixture(STANDARD_MODELS);
afterAll(() => f.close());
beforeEach(() => f.reset());

describe('a JSON answer to a stream request', () => {
  test('chat: the SDK reads a valid stream with the whole content, the finish reason and the usage chunk', async () => {
    f.mock.script('main', { ignoreStream: true });
    const chunks = [];
    for await (const c of await f.client().chat.completions.create({ model: 'gpt-test', messages: [{ role: 'user', content: 'hello world' }], stream: true, stream_options: { include_usage: true } })) chunks.push(c);
    expect(chunks.map((c) => c.object)).toEqual(['chat.completion.chunk', 'chat.completion.chunk', 'chat.completion.chunk']);
    expect(chunks[0]!.choices[0]!.delta).toMatchObject({ role: 'assistant', content: 'echo: hello world' });
    expect(chunks[1]!.choices[0]!.finish_reason).toBe('stop');
    expect(chunks[2]!.choices).toEqual([]);
    expect(chunks[2]!.usage).toMatchObject({ completion_tokens: 3 });
    expect(f.gw.usageRows()).toMatchObject([{ status: 200, stream: 1, output_tokens: 3 }]);
  });

  test('chat without include_usage: no usage chunk, and the raw bytes are SSE ending in [DONE]', async () => {
    f.mock.script('main', { ignoreStream: true });
    const res = await fetch(`${f.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${f.gw.adminKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-test', messages: [{ role: 'user', content: 'hi' }], stream: true }),
    });
    expect(res.headers.get('content-type')).toStartWith('text/event-stream');
    const text = await res.text();
    const events = text.split('\n\n').filter(Boolean);
    expect(events.every((e) => e.startsWith('data: '))).toBe(true);
    expect(events.at(-1)).toBe('data: [DONE]');
    expect(events).toHaveLength(3);
    expect(text).not.toContain('"usage"');
    expect(text).not.toContain('"error"');
  });

  test('a tool call answered as JSON becomes a streamed tool call the SDK assembles', async () => {
    f.mock.script('main', { ignoreStream: true });
    const final = await f.client().chat.completions.stream({ model: 'gpt-test', messages: [{ role: 'user', content: 'weather?' }], tools: [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: {} } } }] }).finalChatCompletion();
    const call = final.choices[0]!.message.tool_calls![0]!;
    expect(final.choices[0]!.finish_reason).toBe('tool_calls');
    expect(call.type === 'function' && [call.function.name, JSON.parse(call.function.arguments)]).toEqual(['get_weather', { city: 'Vienna' }]);
  });

  test('completions: the text arrives as a stream', async () => {
    f.mock.script('main', { ignoreStream: true });
    let text = '';
    for await (const c of await f.client().completions.create({ model: 'text-test', prompt: 'abc', stream: true })) text += c.choices[0]?.text ?? '';
    expect(text).toBe(' completed: abc');
  });

  test('a JSON body that is no completion is a 502 in the OpenAI shape, recorded as such', async () => {
    f.mock.script('main', { json: { hello: 'not a completion' } });
    const res = await f.gw.request('POST', '/v1/chat/completions', { body: { model: 'gpt-test', messages: [{ role: 'user', content: 'hi' }], stream: true } });
    expect(res.status).toBe(502);
    expect(((await res.json()) as any).error).toMatchObject({ type: 'upstream_error', code: 'upstream_error' });
    expect(f.gw.usageRows()).toMatchObject([{ status: 502 }]);
  });
});

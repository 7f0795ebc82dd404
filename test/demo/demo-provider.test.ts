/**
 * The built-in demo provider through the official openai SDK: every endpoint in its exact OpenAI shape,
 * deterministic answers, the documented token rule (one token per word) feeding usage and rate limits,
 * streams as real SSE chunks, tool calls, batches, and mock_latency_ms with a client that gives up.
 */
import { afterAll, describe, expect, test } from 'bun:test';
import OpenAI, { toFile } from 'openai';
import { DEMO_ROUTER_YAML } from '../../src/config/demo-models';
import { testGateway } from '../support/app';

const gw = testGateway({
  routerYaml: `${DEMO_ROUTER_YAML}
  - model_name: slow-chat
    litellm_params: { model: demo/slow-chat, mock_latency_ms: 60000 }
    model_info: { mode: chat }
`,
});
const url = gw.listen();
const client = (key = gw.adminKey, o: { timeout?: number } = {}) => new OpenAI({ apiKey: key, baseURL: `${url}/v1`, maxRetries: 0, ...o });
afterAll(() => gw.close());

const say = (content: string) => [{ role: 'user' as const, content }];
const weather = {
  type: 'function' as const,
  function: {
    name: 'get_weather',
    parameters: { type: 'object', properties: { city: { type: 'string' }, days: { type: 'integer', minimum: 1 }, unit: { type: 'string', enum: ['c', 'f'] } }, required: ['city', 'days', 'unit'] },
  },
};
const time = { type: 'function' as const, function: { name: 'get_time', parameters: { type: 'object', properties: {} } } };

describe('demo provider: chat', () => {
  test('echoes the last user message, with usage by the word rule, recorded once', async () => {
    const before = gw.usageRows().length;
    const r = await client().chat.completions.create({ model: 'demo-chat', messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'first' }, { role: 'assistant', content: 'ok' }, { role: 'user', content: 'Hello there, gateway!' }] });
    expect(r.object).toBe('chat.completion');
    expect(r.id).toMatch(/^chatcmpl-/);
    expect(r.model).toBe('demo-chat');
    expect(r.choices).toHaveLength(1);
    expect(r.choices[0]!.message).toMatchObject({ role: 'assistant', content: 'Hello there, gateway!' });
    expect(r.choices[0]!.finish_reason).toBe('stop');
    // Input: every message's words (2 + 1 + 1 + 3); output: the echoed words.
    expect(r.usage).toMatchObject({ prompt_tokens: 7, completion_tokens: 3, total_tokens: 10 });
    const rows = gw.usageRows().slice(before);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ model: 'demo-chat', deployment: 'demo-chat#0', status: 200, input_tokens: 7, output_tokens: 3 });
  });

  test('the same question gets the same answer (deterministic), text parts are read', async () => {
    const ask = () => client().chat.completions.create({ model: 'demo-chat', messages: [{ role: 'user', content: [{ type: 'text', text: 'parts' }, { type: 'text', text: 'work too' }] }] });
    const [a, b] = await Promise.all([ask(), ask()]);
    expect(a.choices[0]!.message.content).toBe('parts work too');
    expect(b.choices[0]!.message.content).toBe(a.choices[0]!.message.content);
  });

  test('streams word by word as real SSE chunks; the usage chunk only when asked', async () => {
    const text = 'one two three four five';
    const pieces: string[] = [];
    let usageChunks = 0;
    let finish: string | null = null;
    for await (const chunk of await client().chat.completions.create({ model: 'demo-chat', messages: say(text), stream: true })) {
      if (chunk.usage) usageChunks++;
      const c = chunk.choices[0];
      if (c?.delta.content) pieces.push(c.delta.content);
      if (c?.finish_reason) finish = c.finish_reason;
    }
    expect(pieces).toEqual(['one', ' two', ' three', ' four', ' five']);
    expect(finish).toBe('stop');
    expect(usageChunks).toBe(0);

    const chunks = [];
    for await (const chunk of await client().chat.completions.create({ model: 'demo-chat', messages: say(text), stream: true, stream_options: { include_usage: true } })) chunks.push(chunk);
    const last = chunks.at(-1)!;
    expect(last.choices).toEqual([]);
    expect(last.usage).toMatchObject({ prompt_tokens: 5, completion_tokens: 5, total_tokens: 10 });
  });

  test('max_tokens cuts the answer with finish_reason "length"', async () => {
    const r = await client().chat.completions.create({ model: 'demo-chat', messages: say('a b c d e f'), max_tokens: 2 });
    expect(r.choices[0]!.message.content).toBe('a b');
    expect(r.choices[0]!.finish_reason).toBe('length');
    expect(r.usage!.completion_tokens).toBe(2);
  });

  test('with tools: a call of the first tool whose arguments fit its schema; tool_choice picks another; a tool result ends the loop', async () => {
    const r = await client().chat.completions.create({ model: 'demo-chat', messages: say('Weather in Oslo?'), tools: [weather, time] });
    const call = r.choices[0]!.message.tool_calls![0]!;
    expect(r.choices[0]!.finish_reason).toBe('tool_calls');
    expect(r.choices[0]!.message.content).toBeNull();
    expect(call.type).toBe('function');
    expect(call.id).toMatch(/^call_/);
    if (call.type !== 'function') throw new Error('not a function call');
    expect(call.function.name).toBe('get_weather');
    expect(JSON.parse(call.function.arguments)).toEqual({ city: 'Weather in Oslo?', days: 1, unit: 'c' });

    const picked = await client().chat.completions.create({ model: 'demo-chat', messages: say('now'), tools: [weather, time], tool_choice: { type: 'function', function: { name: 'get_time' } } });
    const second = picked.choices[0]!.message.tool_calls![0]!;
    expect(second.type === 'function' && second.function.name).toBe('get_time');

    const none = await client().chat.completions.create({ model: 'demo-chat', messages: say('no tools please'), tools: [weather], tool_choice: 'none' });
    expect(none.choices[0]!.message).toMatchObject({ content: 'no tools please' });

    const after = await client().chat.completions.create({
      model: 'demo-chat',
      tools: [weather],
      messages: [...say('Weather in Oslo?'), { role: 'assistant', content: null, tool_calls: [call] }, { role: 'tool', tool_call_id: call.id, content: 'Sunny, 21 degrees' }],
    });
    expect(after.choices[0]!.finish_reason).toBe('stop');
    expect(after.choices[0]!.message.content).toBe('Sunny, 21 degrees');
  });

  test('a streamed tool call arrives as name then argument pieces the SDK assembles', async () => {
    const stream = client().chat.completions.stream({ model: 'demo-chat', messages: say('Bergen'), tools: [weather] });
    const final = await stream.finalChatCompletion();
    const call = final.choices[0]!.message.tool_calls![0]!;
    expect(final.choices[0]!.finish_reason).toBe('tool_calls');
    if (call.type !== 'function') throw new Error('not a function call');
    expect(call.function.name).toBe('get_weather');
    expect(JSON.parse(call.function.arguments)).toEqual({ city: 'Bergen', days: 1, unit: 'c' });
  });

  test('response_format json_schema and json_object answer with valid JSON', async () => {
    const schema = { type: 'object', properties: { answer: { type: 'string' }, tags: { type: 'array', items: { type: 'string' } }, ok: { type: 'boolean' } }, required: ['answer', 'tags', 'ok'], additionalProperties: false };
    const r = await client().chat.completions.create({ model: 'demo-chat', messages: say('hi'), response_format: { type: 'json_schema', json_schema: { name: 'out', schema, strict: true } } });
    expect(JSON.parse(r.choices[0]!.message.content!)).toEqual({ answer: 'hi', tags: ['hi'], ok: true });
    const o = await client().chat.completions.create({ model: 'demo-chat', messages: say('hi'), response_format: { type: 'json_object' } });
    expect(JSON.parse(o.choices[0]!.message.content!)).toEqual({ echo: 'hi' });
  });
});

describe('demo provider: completions, embeddings, speech, images', () => {
  test('completions echo the prompt, JSON and streamed', async () => {
    const r = await client().completions.create({ model: 'demo-completion', prompt: 'Say this is a test' });
    expect(r).toMatchObject({ object: 'text_completion', model: 'demo-completion', choices: [{ text: 'Say this is a test', index: 0, finish_reason: 'stop' }], usage: { prompt_tokens: 5, completion_tokens: 5, total_tokens: 10 } });
    const pieces: string[] = [];
    for await (const c of await client().completions.create({ model: 'demo-completion', prompt: 'streamed words here', stream: true })) pieces.push(c.choices[0]?.text ?? '');
    expect(pieces.join('')).toBe('streamed words here');
    expect(pieces.filter(Boolean)).toHaveLength(3);
  });

  test('embeddings: deterministic unit vectors from the input, dimensions honoured, base64 (the SDK default) equal to float', async () => {
    const floats = await client().embeddings.create({ model: 'demo-embedding', input: ['alpha', 'beta', 'alpha'], encoding_format: 'float' });
    expect(floats).toMatchObject({ object: 'list', model: 'demo-embedding', usage: { prompt_tokens: 3, total_tokens: 3 } });
    const [a, b, a2] = floats.data.map((d) => d.embedding);
    expect(a).toHaveLength(1536);
    expect(a2).toEqual(a!);
    expect(b).not.toEqual(a!);
    expect(Math.abs(Math.hypot(...a!) - 1)).toBeLessThan(1e-5);
    // Components spread on both sides of zero, like a real embedding.
    expect(a!.filter((x) => x < 0).length).toBeGreaterThan(500);
    expect(a!.filter((x) => x > 0).length).toBeGreaterThan(500);

    const small = await client().embeddings.create({ model: 'demo-embedding', input: 'alpha', dimensions: 8 });
    expect(small.data[0]!.embedding).toHaveLength(8);
    const decoded = await client().embeddings.create({ model: 'demo-embedding', input: 'alpha' }); // SDK asks for base64 and decodes
    expect(decoded.data[0]!.embedding.map((x) => Math.fround(x))).toEqual(a!.map((x) => Math.fround(x)));
  });

  test('embeddings refuse bad dimensions with a 400 naming the parameter', async () => {
    const res = await gw.request('POST', '/v1/embeddings', { body: { model: 'demo-embedding', input: 'x', dimensions: 0 } });
    expect(res.status).toBe(400);
    expect(((await res.json()) as any).error).toMatchObject({ param: 'dimensions', type: 'invalid_request_error' });
  });

  test('speech is a valid WAV (16-bit mono PCM at 24 kHz) whose length follows the input', async () => {
    const short = Buffer.from(await (await client().audio.speech.create({ model: 'demo-tts', input: 'hi', voice: 'alloy' })).arrayBuffer());
    const res = await client().audio.speech.create({ model: 'demo-tts', input: 'a longer sentence to say', voice: 'alloy', response_format: 'wav' });
    expect(res.headers.get('content-type')).toBe('audio/wav');
    const wav = Buffer.from(await res.arrayBuffer());
    expect(wav.toString('ascii', 0, 4)).toBe('RIFF');
    expect(wav.toString('ascii', 8, 16)).toBe('WAVEfmt ');
    expect(wav.readUInt16LE(20)).toBe(1); // PCM
    expect(wav.readUInt16LE(22)).toBe(1); // mono
    expect(wav.readUInt32LE(24)).toBe(24_000);
    expect(wav.readUInt16LE(34)).toBe(16);
    expect(wav.toString('ascii', 36, 40)).toBe('data');
    expect(wav.readUInt32LE(40)).toBe(wav.length - 44);
    expect(wav.readUInt32LE(4)).toBe(wav.length - 8);
    expect(wav.length).toBeGreaterThan(short.length);
  });

  test('images are valid PNGs as b64_json (or a data: URL), n honoured, usage by the word rule', async () => {
    const r = await client().images.generate({ model: 'demo-image', prompt: 'a red bicycle', n: 2, size: '512x256' });
    expect(r.data).toHaveLength(2);
    const pngs = r.data!.map((d) => Buffer.from(d.b64_json!, 'base64'));
    for (const png of pngs) {
      expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
      expect(png.toString('ascii', 12, 16)).toBe('IHDR');
      expect([png.readUInt32BE(16), png.readUInt32BE(20)]).toEqual([256, 128]); // scaled down, aspect kept
      expect(png.toString('ascii', png.length - 8, png.length - 4)).toBe('IEND');
    }
    expect(pngs[0]).not.toEqual(pngs[1]);
    expect(r.usage).toMatchObject({ input_tokens: 3, output_tokens: 0, total_tokens: 3 });
    const asUrl = await client().images.generate({ model: 'demo-image', prompt: 'x', response_format: 'url' });
    expect(asUrl.data![0]!.url).toStartWith('data:image/png;base64,iVBORw0KGgo');
  });
});

describe('demo provider: limits, batches, latency', () => {
  test('token limits count demo tokens: with otpm 5, the call after the one that crossed it is refused', async () => {
    const email = `demo-limits-${Date.now()}@example.com`;
    const key = gw.newKey(email);
    await gw.directory.updateUser((await gw.directory.userByEmail(email))!.id, { otpm: 5 });
    gw.keys.reload();
    const first = await client(key).chat.completions.create({ model: 'demo-chat', messages: say('one two three four five six') });
    expect(first.usage!.completion_tokens).toBe(6);
    const refused = await gw.request('POST', '/v1/chat/completions', { key, body: { model: 'demo-chat', messages: say('again') } });
    expect(refused.status).toBe(429);
    expect(((await refused.json()) as any).error.code).toBe('rate_limit_exceeded');
  });

  test('a batch on the demo model completes with every echo in its output file', async () => {
    const c = client();
    const lines = Array.from({ length: 5 }, (_, i) => ({ custom_id: `q${i}`, method: 'POST', url: '/v1/chat/completions', body: { model: 'demo-chat', messages: say(`question number ${i}`) } }));
    const file = await c.files.create({ file: await toFile(Buffer.from(lines.map((l) => JSON.stringify(l)).join('\n')), 'in.jsonl'), purpose: 'batch' });
    const batch = await c.batches.create({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' });
    let done = batch;
    for (let i = 0; i < 400 && done.status !== 'completed'; i++) {
      await Bun.sleep(25);
      done = await c.batches.retrieve(batch.id);
    }
    expect(done.status).toBe('completed');
    expect(done.request_counts).toEqual({ total: 5, completed: 5, failed: 0 });
    expect(done.usage).toMatchObject({ input_tokens: 15, output_tokens: 15 });
    const out = (await (await c.files.content(done.output_file_id!)).text()).trim().split('\n').map((l) => JSON.parse(l));
    expect(out.map((l) => [l.custom_id, l.response.body.choices[0].message.content]).sort()).toEqual(lines.map((l, i) => [l.custom_id, `question number ${i}`]));
  });

  test('mock_latency_ms holds the answer back; a client that gives up cancels the call (recorded as 499)', async () => {
    const before = gw.usageRows().length;
    const err = await client(gw.adminKey, { timeout: 300 }).chat.completions.create({ model: 'slow-chat', messages: say('hi') }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.APIConnectionTimeoutError);
    let rows: Record<string, any>[] = [];
    for (let i = 0; i < 100 && rows.length === 0; i++) {
      await Bun.sleep(20);
      rows = gw.usageRows().slice(before);
    }
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ model: 'slow-chat', status: 499, error_code: 'client_closed' });
  });
});

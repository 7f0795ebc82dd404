/** The built-in demo models serve /v1/responses through translation, so `make run` users can try it. */
import { afterAll, describe, expect, test } from 'bun:test';
import OpenAI from 'openai';
import { DEMO_ROUTER_YAML } from '../../src/config/demo-models';
import { testGateway } from '../support/app';

const gw = testGateway({ routerYaml: DEMO_ROUTER_YAML });
const url = gw.listen();
const client = new OpenAI({ apiKey: gw.adminKey, baseURL: `${url}/v1`, maxRetries: 0 });
afterAll(() => gw.close());

describe('demo-chat through the Responses API', () => {
  test('create, stream, retrieve and a chain', async () => {
    const r = await client.responses.create({ model: 'demo-chat', input: 'Hello, Aqueduct!' });
    expect(r.output_text).toBe('Hello, Aqueduct!');
    expect(r.usage).toMatchObject({ input_tokens: 2, output_tokens: 2 });
    expect((await client.responses.retrieve(r.id)).output_text).toBe('Hello, Aqueduct!');
    const deltas: string[] = [];
    for await (const e of await client.responses.create({ model: 'demo-chat', input: 'one word at a time', stream: true, previous_response_id: r.id })) {
      if (e.type === 'response.output_text.delta') deltas.push(e.delta);
    }
    expect(deltas.length).toBeGreaterThan(1);
    expect(deltas.join('')).toBe('one word at a time');
    expect(gw.usageRows().filter((u) => u.endpoint === 'responses')).toHaveLength(2);
  });

  test('a function tool call with arguments shaped by its schema, and json_schema output', async () => {
    const call = await client.responses.create({
      model: 'demo-chat',
      input: 'weather?',
      tools: [{ type: 'function', name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] }, strict: false }],
    });
    const fc = call.output[0] as OpenAI.Responses.ResponseFunctionToolCall;
    expect(fc).toMatchObject({ type: 'function_call', name: 'get_weather' });
    expect(typeof JSON.parse(fc.arguments).city).toBe('string');
    const json = await client.responses.create({
      model: 'demo-chat',
      input: 'a place',
      text: { format: { type: 'json_schema', name: 'place', schema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'], additionalProperties: false } } },
    });
    expect(typeof JSON.parse(json.output_text).city).toBe('string');
  });
});

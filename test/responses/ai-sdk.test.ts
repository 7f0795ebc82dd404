/**
 * The Vercel AI SDK's default provider (`openai(modelId)` from @ai-sdk/openai calls /v1/responses) against
 * the gateway: generateText, streamText, a tool loop and structured output, on a native deployment and on
 * a chat-only one served through translation.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'bun:test';
import { generateText, jsonSchema, Output, stepCountIs, streamText, tool } from 'ai';
import { relayFixture } from '../support/relay-fixture';
import { RESPONSES_MODELS } from '../support/responses';

const f = relayFixture(RESPONSES_MODELS);
afterAll(() => f.close());
beforeEach(() => f.reset());

// The default provider reads its base URL when it is first loaded, and the key on every call.
let openai: typeof import('@ai-sdk/openai').openai;
beforeAll(async () => {
  process.env.OPENAI_BASE_URL = `${f.url}/v1`;
  process.env.OPENAI_API_KEY = f.gw.adminKey;
  openai = (await import('@ai-sdk/openai')).openai;
});

for (const [model, deployment] of [
  ['native-model', 'native'],
  ['chat-only', 'chatonly'],
] as const) {
  describe(`AI SDK default provider (${model})`, () => {
    test('generateText', async () => {
      const result = await generateText({ model: openai(model), prompt: 'hello from the AI SDK' });
      expect(result.text).toBe('echo: hello from the AI SDK');
      expect(result.usage.outputTokens).toBeGreaterThan(0);
      expect(f.gw.usageRows()[0]).toMatchObject({ endpoint: 'responses', status: 200, model });
      // It really went through /v1/responses (native) or was translated to chat (chat-only).
      expect(f.mock.requestsTo(deployment)[0]!.path).toBe(deployment === 'native' ? '/responses' : '/chat/completions');
    });

    test('streamText', async () => {
      const result = streamText({ model: openai(model), prompt: 'stream it please' });
      let text = '';
      for await (const part of result.textStream) text += part;
      expect(text).toBe('echo: stream it please');
      expect((await result.usage).outputTokens).toBeGreaterThan(0);
      expect(await result.finishReason).toBe('stop');
    });

    test('a tool loop: the model calls the tool, gets its result, answers', async () => {
      const calls: unknown[] = [];
      const result = await generateText({
        model: openai(model),
        prompt: 'What is the weather in Vienna?',
        tools: {
          get_weather: tool({
            description: 'The weather in a city',
            inputSchema: jsonSchema<{ city: string }>({ type: 'object', properties: { city: { type: 'string' } }, required: ['city'], additionalProperties: false }),
            execute: async (input) => {
              calls.push(input);
              return 'sunny';
            },
          }),
        },
        stopWhen: stepCountIs(3),
      });
      expect(calls).toEqual([{ city: 'Vienna' }]);
      expect(result.steps).toHaveLength(2);
      expect(result.text).toBe('echo: sunny');
    });

    test('a second turn: earlier answers come back as item references, which the gateway resolves for translation', async () => {
      const first = await generateText({ model: openai(model), prompt: 'my name is Ada' });
      const second = await generateText({ model: openai(model), messages: [{ role: 'user', content: 'my name is Ada' }, ...first.response.messages, { role: 'user', content: 'what is my name?' }] });
      expect(second.text).toBe('echo: what is my name?');
      const sent = f.mock.requestsTo(deployment)[1]!.body;
      if (deployment === 'native') expect(sent.input).toContainEqual({ type: 'item_reference', id: expect.stringMatching(/^msg_/) });
      else expect(sent.messages.map((m: { role: string }) => m.role)).toEqual(['user', 'assistant', 'user']);
      if (deployment === 'chatonly') expect(sent.messages[1].content).toBe('echo: my name is Ada');
    });

    test('structured output (json_schema)', async () => {
      const result = await generateText({
        model: openai(model),
        prompt: 'Where is the aqueduct?',
        output: Output.object({
          schema: jsonSchema<{ city: string; year: number }>({ type: 'object', properties: { city: { type: 'string' }, year: { type: 'integer' } }, required: ['city', 'year'], additionalProperties: false }),
        }),
      });
      expect(result.output).toEqual({ city: 'Vienna', year: 1 });
    });
  });
}

/**
 * Responses streams that fail: an upstream that cuts the stream or stalls ends the client's stream with an
 * error event and no `response.completed`, so the SDK raises instead of returning half an answer; the usage
 * row says what happened. The mock runs in its own process (Bun's fetch mishandles a reset in-process).
 */
import { afterAll, beforeEach, describe, expect, test } from 'bun:test';
import OpenAI from 'openai';
import { remoteRelayFixture } from '../support/relay-fixture';
import { RESPONSES_MODELS } from '../support/responses';

const f = await remoteRelayFixture(RESPONSES_MODELS.replaceAll('api_key: os.environ/UPSTREAM_KEY', 'api_key: os.environ/UPSTREAM_KEY, timeout: 1'));
afterAll(() => f.close());
beforeEach(() => f.reset());

const longInput = Array.from({ length: 50 }, (_, i) => `w${i}`).join(' ');

for (const [model, deployment] of [
  ['native-model', 'native'],
  ['chat-only', 'chatonly'],
] as const) {
  describe(`broken streams (${model})`, () => {
    test('cut mid-way: the SDK raises, no response.completed arrives; usage records 502', async () => {
      await f.mock.script(deployment, { cutAfterChunks: 5 });
      const types: string[] = [];
      const err = await (async () => {
        for await (const e of await f.client().responses.create({ model, input: longInput, stream: true })) types.push(e.type);
      })().catch((e) => e);
      expect(err).toBeInstanceOf(OpenAI.APIError);
      expect(types.length).toBeGreaterThan(0);
      expect(types).not.toContain('response.completed');
      expect(f.gw.usageRows()[0]).toMatchObject({ endpoint: 'responses', status: 502 });
    });

    test('stalled past the timeout: the SDK raises with the reason; usage records 504', async () => {
      await f.mock.configure({ extraWords: 50 });
      await f.mock.script(deployment, { stallAfterChunks: undefined, chunkDelayMs: 1500 });
      const err = await (async () => {
        for await (const _ of await f.client().responses.create({ model, input: longInput, stream: true }));
      })().catch((e) => e);
      expect(err).toBeInstanceOf(OpenAI.APIError);
      expect(err.message).toContain('stalled');
      expect(f.gw.usageRows()[0]).toMatchObject({ endpoint: 'responses', status: 504, error_code: 'upstream_timeout' });
    });
  });
}

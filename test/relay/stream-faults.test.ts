/** Streams that break, stall or lose their client, and long first tokens. */
import { afterAll, beforeEach, describe, expect, test } from 'bun:test';
import OpenAI from 'openai';
import { remoteRelayFixture } from '../support/relay-fixture';

// The mock runs in its own process (it resets connections), and the gateway's listener has a 1-second
// idle timeout: relayed calls must not be cut by it.
const f = await remoteRelayFixture(
  `
model_list:
  - model_name: m
    litellm_params: { model: openai/up, api_base: "{{base:m}}", timeout: 3 }
`,
  { idleTimeoutSeconds: 1 },
);
afterAll(() => f.close());
beforeEach(() => f.reset());

const streamChat = (client = f.client(), signal?: AbortSignal) =>
  client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'tell me a long story' }], stream: true }, { signal });

/** When the upstream saw its request closed (polls the mock for up to 2 s). */
async function waitForUpstreamAbort(): Promise<number> {
  for (let i = 0; i < 200; i++) {
    const at = (await f.mock.received())[0]?.abortedAt;
    if (at !== undefined) return at;
    await Bun.sleep(10);
  }
  throw new Error('the upstream request was never aborted');
}

describe('stream faults', () => {
  test('an upstream cut mid-stream ends with an error event: the SDK raises, no [DONE]', async () => {
    await f.mock.configure({ extraWords: 30 });
    await f.mock.script('m', { cutAfterChunks: 5 });
    const stream = await streamChat();
    let text = '';
    const err = await (async () => {
      for await (const c of stream) text += c.choices[0]?.delta.content ?? '';
    })().catch((e) => e);
    expect(err).toBeInstanceOf(OpenAI.APIError);
    expect(err.message).toContain('interrupted');
    expect(text.length).toBeGreaterThan(0); // the chunks before the cut did arrive
    expect(f.gw.usageRows()[0]).toMatchObject({ status: 502, error_code: 'stream_interrupted', stream: 1 });
  });

  test('an upstream that stalls mid-stream past the timeout ends with an error event', async () => {
    await f.mock.configure({ extraWords: 3 });
    await f.mock.script('m', { chunkDelayMs: 3500 });
    const stream = await streamChat();
    const err = await (async () => {
      for await (const _ of stream);
    })().catch((e) => e);
    expect(err).toBeInstanceOf(OpenAI.APIError);
    expect(err.message).toContain('stalled');
    expect(f.gw.usageRows()[0]).toMatchObject({ status: 504, error_code: 'upstream_timeout' });
  });

  test('a client that disconnects mid-stream cancels the upstream call within a second', async () => {
    await f.mock.configure({ extraWords: 200 });
    await f.mock.script('m', { chunkDelayMs: 50 });
    const controller = new AbortController();
    const stream = await streamChat(f.client(), controller.signal);
    let n = 0;
    await (async () => {
      for await (const _ of stream) if (++n === 3) controller.abort();
    })().catch(() => {});
    const abortedAt = Date.now();
    const upstreamAbortedAt = await waitForUpstreamAbort();
    expect(upstreamAbortedAt - abortedAt).toBeLessThan(1000);
    await Bun.sleep(50);
    expect(f.gw.usageRows()[0]).toMatchObject({ status: 499, error_code: 'client_closed' });
  });

  test('a client that disconnects while waiting for a non-stream answer cancels the upstream call', async () => {
    await f.mock.script('m', { stallMs: 2000 });
    const controller = new AbortController();
    const pending = f.client().chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'x' }] }, { signal: controller.signal }).catch((e) => e);
    await Bun.sleep(200);
    controller.abort();
    await pending;
    const abortedAt = Date.now();
    expect((await waitForUpstreamAbort()) - abortedAt).toBeLessThan(1000);
  });

  test('a long first token (longer than the idle timeout) is not cut', async () => {
    await f.mock.script('m', { stallMs: 2200 });
    const stream = await streamChat();
    let text = '';
    for await (const c of stream) text += c.choices[0]?.delta.content ?? '';
    expect(text).toBe('echo: tell me a long story');
    await f.mock.script('m', { stallMs: 2200 });
    const res = await f.client().chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'slow' }] });
    expect(res.choices[0]!.message.content).toBe('echo: slow');
  });
});

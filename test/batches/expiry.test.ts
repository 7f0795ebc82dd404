/** A batch that cannot finish within its completion window: unfinished lines end up in the error file. */
import { afterAll, describe, expect, test } from 'bun:test';
import { toFile } from 'openai';
import { relayFixture } from '../support/relay-fixture';

const f = relayFixture(
  `
model_list:
  - model_name: slow
    litellm_params: { model: openai/up-slow, api_base: "{{base:slow}}" }
`,
  { settings: { batchCompletionWindow: 1000, batchConcurrencyPerBatch: 4 } },
);
afterAll(() => f.close());

describe('batch expiry', () => {
  test('expired: finished lines in the output file, every other custom_id in the error file with batch_expired', async () => {
    f.mock.profiles.set('slow', { latencyMs: 200, chunkDelayMs: 0, extraWords: 0 });
    const client = f.client();
    const lines = Array.from({ length: 60 }, (_, i) => JSON.stringify({ custom_id: `e${i}`, method: 'POST', url: '/v1/chat/completions', body: { model: 'slow', messages: [{ role: 'user', content: `q${i}` }] } }));
    const input = await client.files.create({ file: await toFile(Buffer.from(lines.join('\n')), 'in.jsonl'), purpose: 'batch' });
    const b = await client.batches.create({ input_file_id: input.id, endpoint: '/v1/chat/completions', completion_window: '24h' });
    let batch = b;
    for (let i = 0; i < 100 && batch.status !== 'expired'; i++) {
      await Bun.sleep(50);
      batch = await client.batches.retrieve(b.id);
    }
    expect(batch.status).toBe('expired');
    expect(batch.expired_at).not.toBeNull();
    const read = async (id: string | null | undefined) => (id ? (await (await client.files.content(id)).text()).trim().split('\n').map((l) => JSON.parse(l)) : []);
    const out = await read(batch.output_file_id);
    const errs = await read(batch.error_file_id);
    expect(out.length).toBeGreaterThan(0);
    expect(errs.length).toBeGreaterThan(0);
    expect(errs.every((l) => l.response === null && l.error.code === 'batch_expired')).toBe(true);
    expect([...out, ...errs].map((l) => l.custom_id).sort()).toEqual(Array.from({ length: 60 }, (_, i) => `e${i}`).sort());
    expect(batch.request_counts).toEqual({ total: 60, completed: out.length, failed: errs.length });
  });
});

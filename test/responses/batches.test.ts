/** Batch files with /v1/responses lines, as OpenAI's: answered through the same native or translated path. */
import { afterAll, beforeEach, describe, expect, test } from 'bun:test';
import OpenAI, { toFile } from 'openai';
import { relayFixture } from '../support/relay-fixture';
import { RESPONSES_MODELS } from '../support/responses';

const f = relayFixture(RESPONSES_MODELS);
afterAll(() => f.close());
beforeEach(() => f.reset());

const upload = async (client: OpenAI, lines: object[]) =>
  client.files.create({ file: await toFile(Buffer.from(`${lines.map((l) => JSON.stringify(l)).join('\n')}\n`), 'in.jsonl'), purpose: 'batch' });

async function finished(client: OpenAI, id: string) {
  for (let i = 0; i < 200; i++) {
    const b = await client.batches.retrieve(id);
    if (['completed', 'failed', 'cancelled', 'expired'].includes(b.status)) return b;
    await Bun.sleep(50);
  }
  throw new Error(`batch ${id} did not finish`);
}

describe('responses batches', () => {
  for (const model of ['native-model', 'chat-only']) {
    test(`every line answered as a Response object, usage recorded per line (${model})`, async () => {
      const client = f.client();
      const lines = Array.from({ length: 5 }, (_, i) => ({ custom_id: `r${i}`, method: 'POST', url: '/v1/responses', body: { model, input: `line ${i}` } }));
      const input = await upload(client, lines);
      const batch = await client.batches.create({ input_file_id: input.id, endpoint: '/v1/responses', completion_window: '24h' });
      const done = await finished(client, batch.id);
      expect(done.status).toBe('completed');
      expect(done.request_counts).toMatchObject({ total: 5, completed: 5, failed: 0 });
      const out = (await (await client.files.content(done.output_file_id!)).text()).trim().split('\n').map((l) => JSON.parse(l));
      expect(out.map((o) => o.custom_id).sort()).toEqual(['r0', 'r1', 'r2', 'r3', 'r4']);
      for (const o of out) {
        expect(o.response.status_code).toBe(200);
        expect(o.response.body.object).toBe('response');
        expect(o.response.body.output[0].content[0].text).toBe(`echo: line ${o.custom_id.slice(1)}`);
      }
      const rows = f.gw.usageRows().filter((r) => r.batch_id === batch.id);
      expect(rows).toHaveLength(5);
      expect(rows.every((r) => r.endpoint === 'responses' && r.output_tokens > 0)).toBe(true);
    });
  }

  test('previous_response_id and mcp tools are refused at upload, naming the line', async () => {
    const client = f.client();
    for (const body of [
      { model: 'native-model', input: 'x', previous_response_id: 'resp_someone_elses' },
      { model: 'native-model', input: 'x', tools: [{ type: 'mcp', server_label: 'x', server_url: 'https://mcp.example.org/mcp' }] },
    ]) {
      const err = await upload(client, [{ custom_id: 'a', method: 'POST', url: '/v1/responses', body }]).catch((e) => e);
      expect(err.status).toBe(400);
      expect(err.message).toContain('line 1');
    }
  });
});

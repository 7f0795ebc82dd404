/**
 * Cancelling a batch while its lines are still being imported: the batch ends cancelled only once every
 * line is in, with `total` counting them all and every custom_id in the error file; no line stays pending.
 */
import { afterAll, expect, test } from 'bun:test';
import { toFile } from 'openai';
import { cancelBatch } from '../../src/calls/batch-cancel';
import { ownerOf } from '../../src/domain/files/owner';
import { relayFixture } from '../support/relay-fixture';

const f = relayFixture(`
model_list:
  - model_name: chat
    litellm_params: { model: openai/up, api_base: "{{base:b}}" }
    model_info: { mode: chat }
`);
afterAll(() => f.close());

test('cancel during validation: total counts every line, all of them in the error file, none left pending', async () => {
  const client = f.client();
  const n = 50_000;
  const text = Array.from({ length: n }, (_, i) => JSON.stringify({ custom_id: `c${i}`, method: 'POST', url: '/v1/chat/completions', body: { model: 'chat', messages: [{ role: 'user', content: `q${i}` }] } })).join('\n');
  const input = await client.files.create({ file: await toFile(Buffer.from(text), 'big.jsonl'), purpose: 'batch' });
  // What POST /batches and POST /batches/{id}/cancel do, with the cancel arriving while the import has
  // only just begun (deterministic: begin() reads the file asynchronously, the cancel is handled at once).
  const principal = (await f.gw.keys.authenticate(f.gw.adminKey))!;
  const created = await f.gw.batches.create(ownerOf(principal), principal, { id: input.id, endpoint: '/v1/chat/completions', model: 'chat' }, null, 86_400_000);
  const importing = f.gw.runner.begin(created);
  await cancelBatch(f.gw.batches, f.gw.runner, created);
  await importing;
  const cancelling = await client.batches.retrieve(created.id);
  let done = cancelling;
  for (let i = 0; i < 600 && done.status !== 'cancelled'; i++) {
    await Bun.sleep(25);
    done = await client.batches.retrieve(created.id);
  }
  expect(done.status).toBe('cancelled');
  expect(done.request_counts!.total).toBe(n);
  expect(done.request_counts!.completed + done.request_counts!.failed).toBe(n);
  const pending = f.gw.db.sqlite.query<{ n: number }, [string]>("SELECT count(*) AS n FROM batch_lines WHERE batch_id = ? AND state IN ('pending', 'running')").get(created.id)!;
  expect(pending.n).toBe(0);
  const errors = (await (await client.files.content(done.error_file_id!)).text()).trim().split('\n');
  expect(errors).toHaveLength(done.request_counts!.failed);
  expect(JSON.parse(errors.at(-1)!)).toMatchObject({ custom_id: `c${n - 1}`, error: { code: 'batch_cancelled' } });
}, 60_000);

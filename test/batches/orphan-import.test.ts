/**
 * A batch whose import no node finishes (its node died right after creating it) is taken up by a running
 * node once twice the lease has passed, and completes with every custom_id once.
 */
import { afterAll, expect, test } from 'bun:test';
import OpenAI, { toFile } from 'openai';
import { ownerOf } from '../../src/domain/files/owner';
import { testGateway } from '../support/app';
import { MockUpstream } from '../support/mock-upstream';

const mock = new MockUpstream(false).start();
const gw = testGateway({
  routerYaml: `model_list:\n  - model_name: m\n    litellm_params: { model: openai/up, api_base: "${mock.base('m')}" }\n`,
  settings: { batchLease: 300 },
});
const url = gw.listen();
afterAll(async () => {
  gw.close();
  await mock.stop();
});

test('an import left unfinished by another node is taken up after twice the lease', async () => {
  const client = new OpenAI({ apiKey: gw.adminKey, baseURL: `${url}/v1`, maxRetries: 0 });
  const lines = Array.from({ length: 5 }, (_, i) => JSON.stringify({ custom_id: `o${i}`, method: 'POST', url: '/v1/chat/completions', body: { model: 'm', messages: [{ role: 'user', content: `o${i}` }] } }));
  const input = await client.files.create({ file: await toFile(Buffer.from(lines.join('\n')), 'in.jsonl'), purpose: 'batch' });
  // What POST /batches does on a node that dies before its import begins: the row, and nothing else.
  const principal = (await gw.keys.authenticate(gw.adminKey))!;
  const created = await gw.batches.create(ownerOf(principal), principal, { id: input.id, endpoint: '/v1/chat/completions', model: 'm' }, null, 86_400_000);
  await Bun.sleep(300);
  expect((await client.batches.retrieve(created.id)).status).toBe('validating');
  let done = await client.batches.retrieve(created.id);
  for (const until = Date.now() + 10_000; done.status !== 'completed'; await Bun.sleep(50)) {
    if (Date.now() > until) throw new Error(`batch still ${done.status}`);
    done = await client.batches.retrieve(created.id);
  }
  expect(done.request_counts).toEqual({ total: 5, completed: 5, failed: 0 });
  const out = (await (await client.files.content(done.output_file_id!)).text()).trim().split('\n').map((l) => JSON.parse(l).custom_id);
  expect(out.sort()).toEqual(['o0', 'o1', 'o2', 'o3', 'o4']);
});

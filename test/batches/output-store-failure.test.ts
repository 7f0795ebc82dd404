/**
 * A batch whose error file cannot be stored (the file store briefly unreachable) stays finalizing and is
 * finished on a later tick, with one output file and one error file: the output written before the failure
 * is removed again, not left as a second copy in the owner's files.
 * An input file that cannot be read at first is read again later.
 */
import { afterAll, expect, test } from 'bun:test';
import { toFile } from 'openai';
import { relayFixture } from '../support/relay-fixture';

const f = relayFixture(`
model_list:
  - { model_name: chat, litellm_params: { model: openai/up-chat, api_base: "{{base:b}}" }, model_info: { mode: chat } }
`);
afterAll(() => f.close());

test('the error file fails once: the batch completes later with exactly one output and one error file', async () => {
  const client = f.client();
  f.mock.script('b', { status: 400 }); // one line fails → an error file as well as an output file
  const lines = ['a', 'b', 'c'].map((w) => JSON.stringify({ custom_id: w, method: 'POST', url: '/v1/chat/completions', body: { model: 'chat', messages: [{ role: 'user', content: w }] } }));
  const input = await client.files.create({ file: await toFile(Buffer.from(`${lines.join('\n')}\n`), 'in.jsonl'), purpose: 'batch' });

  const bytes = f.gw.files.bytes;
  const putFile = bytes.putFile.bind(bytes);
  let puts = 0;
  bytes.putFile = async (key, path) => {
    puts++;
    if (puts === 2) throw new Error('connection reset by the bucket'); // the error file, written second
    return putFile(key, path);
  };
  const created = await client.batches.create({ input_file_id: input.id, endpoint: '/v1/chat/completions', completion_window: '24h' });
  let done = created;
  for (const until = Date.now() + 10_000; done.status !== 'completed'; await Bun.sleep(50)) {
    if (Date.now() > until) throw new Error(`batch still ${done.status}`);
    done = await client.batches.retrieve(created.id);
  }
  bytes.putFile = putFile;
  expect(puts).toBe(4); // output, error (refused), then output and error again
  expect(done.request_counts).toEqual({ total: 3, completed: 2, failed: 1 });
  const outputs = (await client.files.list({ purpose: 'batch_output' })).data.map((x) => x.id).sort();
  expect(outputs).toEqual([done.output_file_id!, done.error_file_id!].sort());
  const all = [...(await (await client.files.content(done.output_file_id!)).text()).trim().split('\n'), ...(await (await client.files.content(done.error_file_id!)).text()).trim().split('\n')];
  expect(all.map((l) => JSON.parse(l).custom_id).sort()).toEqual(['a', 'b', 'c']);
  expect(f.gw.db.sqlite.query("SELECT count(*) AS n FROM files WHERE purpose = 'batch_output'").get()).toEqual({ n: 2 });
});

test('the input file cannot be read at first (the store out of reach): the import is tried again and the batch completes', async () => {
  const client = f.client();
  const lines = ['x', 'y'].map((w) => JSON.stringify({ custom_id: w, method: 'POST', url: '/v1/chat/completions', body: { model: 'chat', messages: [{ role: 'user', content: w }] } }));
  const input = await client.files.create({ file: await toFile(Buffer.from(`${lines.join('\n')}\n`), 'in.jsonl'), purpose: 'batch' });
  const bytes = f.gw.files.bytes;
  const read = bytes.read.bind(bytes);
  let reads = 0;
  bytes.read = (key, range) => {
    reads++;
    // The first two reads fail part-way, after the first line arrived (imported lines are kept, not doubled).
    if (reads <= 2) {
      const first = new TextEncoder().encode(`${lines[0]}\n`);
      return new ReadableStream({ start: (c) => c.enqueue(first), pull: (c) => c.error(new Error('bucket unreachable')) });
    }
    return read(key, range);
  };
  const created = await client.batches.create({ input_file_id: input.id, endpoint: '/v1/chat/completions', completion_window: '24h' });
  let done = created;
  for (const until = Date.now() + 10_000; done.status !== 'completed'; await Bun.sleep(50)) {
    if (Date.now() > until || done.status === 'failed') throw new Error(`batch ${done.status}`);
    done = await client.batches.retrieve(created.id);
  }
  bytes.read = read;
  expect(reads).toBe(3);
  expect(done.request_counts).toEqual({ total: 2, completed: 2, failed: 0 });
  const out = (await (await client.files.content(done.output_file_id!)).text()).trim().split('\n').map((l) => JSON.parse(l).custom_id);
  expect(out.sort()).toEqual(['x', 'y']);
});

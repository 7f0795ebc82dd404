/** The storage quota holds under concurrency: parallel uploads share it, and failed uploads give their share back. */
import { afterAll, expect, test } from 'bun:test';
import OpenAI, { toFile } from 'openai';
import { testGateway } from '../support/app';

const gw = testGateway({ settings: { storagePerOwner: 2 * 1024 * 1024, maxFileSize: 4 * 1024 * 1024 } });
const url = gw.listen();
afterAll(() => gw.close());

test('six parallel 1.5 MB uploads under a 2 MB quota: one is stored, five get 413; the quota is whole again afterwards', async () => {
  const client = new OpenAI({ apiKey: gw.newKey(), baseURL: `${url}/v1`, maxRetries: 0 });
  const upload = async (i: number) => client.files.create({ file: await toFile(new Uint8Array(1.5 * 1024 * 1024).fill(65 + i), `f${i}.bin`), purpose: 'user_data' });
  const results = await Promise.allSettled(Array.from({ length: 6 }, (_, i) => upload(i)));
  const stored = results.filter((r) => r.status === 'fulfilled');
  const refused = results.flatMap((r) => (r.status === 'rejected' ? [r.reason] : []));
  expect(stored).toHaveLength(1);
  expect(refused).toHaveLength(5);
  for (const e of refused) {
    expect(e).toBeInstanceOf(OpenAI.APIError);
    expect(e.status).toBe(413);
    expect(e.code).toBe('storage_limit_exceeded');
  }
  const page = await client.files.list();
  expect(page.data.reduce((n, f) => n + f.bytes, 0)).toBe(1.5 * 1024 * 1024);
  // Nothing stays held by the refused uploads: after deleting the stored file, a 1.9 MB file fits.
  await client.files.delete(page.data[0]!.id);
  const big = await client.files.create({ file: await toFile(new Uint8Array(1.9 * 1024 * 1024), 'big.bin'), purpose: 'user_data' });
  expect(big.bytes).toBe(Math.floor(1.9 * 1024 * 1024));
});

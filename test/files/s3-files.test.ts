/**
 * Files and batches with AQUEDUCT_FILE_STORE=s3://bucket/prefix on a real S3-compatible server (s3rver), through
 * the official openai SDK: the bytes live only in the bucket, and everything a caller sees is as with the disk.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import OpenAI, { toFile } from 'openai';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { MockUpstream } from '../support/mock-upstream';
import { startS3, type TestS3 } from '../support/services/s3';
import { testGateway, type TestGateway } from '../support/app';

const MB = 1024 * 1024;
const PREFIX = 'gw/files/';
let s3: TestS3;
let mock: MockUpstream;
let gw: TestGateway;
let url: string;

beforeAll(async () => {
  s3 = await startS3();
  mock = new MockUpstream().start();
  gw = testGateway({
    routerYaml: `
model_list:
  - { model_name: chat, litellm_params: { model: openai/up-chat, api_base: "${mock.base('b')}" }, model_info: { mode: chat } }
`,
    env: s3.env,
    settings: { fileStore: `s3://${s3.bucket}/${PREFIX}`, maxFileSize: 16 * MB, storagePerOwner: 64 * MB },
  });
  url = gw.listen();
});
afterAll(async () => {
  gw.close();
  await mock.stop();
  await s3.stop();
});

const client = (key = gw.adminKey) => new OpenAI({ apiKey: key, baseURL: `${url}/v1`, maxRetries: 0 });
const sha = (b: Uint8Array | ArrayBuffer) => createHash('sha256').update(new Uint8Array(b)).digest('hex');
/** The bytes are in the bucket, and not in the data dir's files/ (only its empty .incoming is there). */
const onlyInBucket = async (id: string, size: number) => {
  expect((await s3.objects(PREFIX)).get(`${PREFIX}${id}`)).toBe(size);
  expect(existsSync(`${gw.files.dir}/${id}`)).toBe(false);
};

describe('files on S3', () => {
  test('upload, list, retrieve, download (bytes equal), delete (object gone from the bucket)', async () => {
    const content = Buffer.from('notes kept in a bucket\n'.repeat(100));
    const file = await client().files.create({ file: await toFile(content, 'notes.txt'), purpose: 'user_data' });
    expect(file).toMatchObject({ object: 'file', filename: 'notes.txt', purpose: 'user_data', bytes: content.length });
    expect(file.id).toMatch(/^file-[A-Za-z0-9]{24}$/);
    await onlyInBucket(file.id, content.length);
    expect((await client().files.list()).data.map((f) => f.id)).toContain(file.id);
    expect(await client().files.retrieve(file.id)).toMatchObject({ id: file.id, bytes: content.length });
    const res = await client().files.content(file.id);
    expect(res.headers.get('content-disposition')).toContain('notes.txt');
    expect(sha(await res.arrayBuffer())).toBe(sha(content));
    expect(await client().files.delete(file.id)).toEqual({ id: file.id, object: 'file', deleted: true });
    expect((await s3.objects(PREFIX)).has(`${PREFIX}${file.id}`)).toBe(false);
    expect(await client().files.retrieve(file.id).catch((e) => e)).toBeInstanceOf(OpenAI.NotFoundError);
    expect(readdirSync(gw.files.incoming)).toEqual([]);
  });

  test('another key cannot see, download or delete it (the same 404 as a missing file)', async () => {
    const mine = await client().files.create({ file: await toFile(Buffer.from('private'), 'p.txt'), purpose: 'user_data' });
    const other = gw.newKey();
    for (const path of [`/v1/files/${mine.id}`, `/v1/files/${mine.id}/content`]) {
      const res = await fetch(`${url}${path}`, { headers: { authorization: `Bearer ${other}` } });
      expect(res.status).toBe(404);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('file_not_found');
    }
    expect((await fetch(`${url}/v1/files/${mine.id}`, { method: 'DELETE', headers: { authorization: `Bearer ${other}` } })).status).toBe(404);
    expect((await client(other).files.list()).data.map((f) => f.id)).not.toContain(mine.id);
    await onlyInBucket(mine.id, 7);
  });

  test('a 12 MB upload goes to the bucket as a multipart upload and downloads byte for byte', async () => {
    const big = new Uint8Array(12 * MB);
    for (let i = 0; i < big.length; i += 4096) big[i] = (i / 4096) % 256;
    const before = s3.requests.length;
    const started = performance.now();
    const file = await client().files.create({ file: await toFile(big, 'big.bin'), purpose: 'user_data' });
    const uploadMs = performance.now() - started;
    const parts = s3.requests.slice(before).filter((r) => r.method === 'PUT' && r.query.has('partNumber') && r.path === `/${s3.bucket}/${PREFIX}${file.id}`);
    expect(parts.length).toBe(3); // 5 + 5 + 2 MB
    await onlyInBucket(file.id, big.length);
    const t = performance.now();
    const down = await (await client().files.content(file.id)).arrayBuffer();
    console.log(`12 MB via S3 (s3rver on loopback): upload ${uploadMs.toFixed(0)} ms, download ${(performance.now() - t).toFixed(0)} ms`);
    expect(sha(down)).toBe(sha(big));
  }, 30_000);

  test('the size limit and a bad batch file refuse as on disk, and leave nothing in the bucket', async () => {
    const before = await s3.objects(PREFIX);
    const tooBig = await client().files.create({ file: await toFile(new Uint8Array(17 * MB), 'x.bin'), purpose: 'user_data' }).catch((e) => e);
    expect(tooBig.status).toBe(413);
    const bad = await client().files.create({ file: await toFile(Buffer.from('{not json\n'), 'b.jsonl'), purpose: 'batch' }).catch((e) => e);
    expect(bad).toBeInstanceOf(OpenAI.BadRequestError);
    expect(bad.message).toContain('line 1: not valid JSON');
    expect(await s3.objects(PREFIX)).toEqual(before);
  });

  test('a batch whose input, output and error files live in the bucket completes; its files download', async () => {
    mock.script('b', { status: 400 }); // the first line fails upstream → the error file
    const lines = ['one', 'two', 'three'].map((w) => JSON.stringify({ custom_id: w, method: 'POST', url: '/v1/chat/completions', body: { model: 'chat', messages: [{ role: 'user', content: w }] } }));
    const input = await client().files.create({ file: await toFile(Buffer.from(`${lines.join('\n')}\n`), 'in.jsonl'), purpose: 'batch' });
    await onlyInBucket(input.id, input.bytes);
    const created = await client().batches.create({ input_file_id: input.id, endpoint: '/v1/chat/completions', completion_window: '24h' });
    let done = created;
    for (const until = Date.now() + 10_000; done.status !== 'completed'; await Bun.sleep(50)) {
      if (Date.now() > until) throw new Error(`batch still ${done.status}`);
      done = await client().batches.retrieve(created.id);
    }
    expect(done.request_counts).toEqual({ total: 3, completed: 2, failed: 1 });
    const read = async (id: string) => (await (await client().files.content(id)).text()).trim().split('\n').map((l) => JSON.parse(l));
    const out = await read(done.output_file_id!);
    const errors = await read(done.error_file_id!);
    expect(out).toHaveLength(2);
    for (const l of out) expect(l.response.body.choices[0].message.content).toBe(`echo: ${l.custom_id}`);
    expect(errors).toHaveLength(1);
    expect(errors[0].response.status_code).toBe(400);
    expect([...out, ...errors].map((l) => l.custom_id).sort()).toEqual(['one', 'three', 'two']);
    for (const id of [done.output_file_id!, done.error_file_id!]) await onlyInBucket(id, (await client().files.retrieve(id)).bytes);
  });

  test('expiry: the hourly sweep deletes the expired file\'s object from the bucket', async () => {
    const f = await client().files.create({ file: await toFile(Buffer.from('soon gone'), 'e.txt'), purpose: 'user_data', expires_after: { anchor: 'created_at', seconds: 3600 } });
    const keep = await client().files.create({ file: await toFile(Buffer.from('stays'), 'k.txt'), purpose: 'user_data' });
    await onlyInBucket(f.id, 9);
    expect(await gw.files.sweepExpired(Date.now() + 3_601_000)).toBeGreaterThanOrEqual(1);
    const objects = await s3.objects(PREFIX);
    expect(objects.has(`${PREFIX}${f.id}`)).toBe(false);
    expect(objects.has(`${PREFIX}${keep.id}`)).toBe(true);
    expect(await client().files.retrieve(f.id).catch((e) => e.status)).toBe(404);
  });

  test('an unreachable bucket: 503 file_store_unavailable, nothing recorded, the quota whole again', async () => {
    // A quota with room for one 100 KB file: were the failed upload's quota still held, the second would get 413.
    const down = testGateway({ env: { ...s3.env, AWS_ENDPOINT_URL: 'http://127.0.0.1:1' }, settings: { fileStore: `s3://${s3.bucket}/${PREFIX}`, storagePerOwner: 150 * 1024 } });
    const downClient = new OpenAI({ apiKey: down.adminKey, baseURL: `${down.listen()}/v1`, maxRetries: 0 });
    for (let i = 0; i < 2; i++) {
      const err = await downClient.files.create({ file: await toFile(new Uint8Array(100 * 1024), 'x.bin'), purpose: 'user_data' }).catch((e) => e);
      expect(err).toBeInstanceOf(OpenAI.InternalServerError);
      expect(err.status).toBe(503);
      expect(err.error).toEqual({ message: 'The file store could not be reached; nothing was stored. Try again later.', type: 'server_error', param: null, code: 'file_store_unavailable' });
    }
    expect(down.db.sqlite.query('SELECT count(*) AS n FROM files').get()).toEqual({ n: 0 });
    expect(readdirSync(down.files.incoming)).toEqual([]);
    down.close();
  });

  test('download: an object removed behind the gateway\'s back is a 500 error answer, an unreachable store a 503, never a cut body', async () => {
    const f = await client().files.create({ file: await toFile(Buffer.from('here, then not'), 'gone.txt'), purpose: 'user_data' });
    const bucket = new Bun.S3Client({ endpoint: s3.endpoint, bucket: s3.bucket, region: 'us-east-1', accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' });
    await bucket.delete(`${PREFIX}${f.id}`);
    const missing = await fetch(`${url}/v1/files/${f.id}/content`, { headers: { authorization: `Bearer ${gw.adminKey}` } });
    expect(missing.status).toBe(500);
    expect(((await missing.json()) as { error: { type: string } }).error.type).toBe('server_error');

    const other = await startS3('other-bucket');
    const g = testGateway({ env: other.env, settings: { fileStore: `s3://${other.bucket}` } });
    const gUrl = g.listen();
    const kept = await new OpenAI({ apiKey: g.adminKey, baseURL: `${gUrl}/v1`, maxRetries: 0 }).files.create({ file: await toFile(Buffer.from('kept'), 'k.txt'), purpose: 'user_data' });
    await other.stop();
    const down = await fetch(`${gUrl}/v1/files/${kept.id}/content`, { headers: { authorization: `Bearer ${g.adminKey}` } });
    expect(down.status).toBe(503);
    expect(((await down.json()) as { error: { code: string } }).error.code).toBe('file_store_unavailable');
    g.close();
  });
});

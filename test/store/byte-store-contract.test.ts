/**
 * One contract, both byte stores: a directory (today's <data-dir>/files, and a shared directory) and an
 * S3-compatible bucket (s3rver, a real SigV4 server). Whatever FileStore relies on is checked here for each.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ObjectMissing, type ByteStore } from '../../src/store/byte-store';
import { DirectoryStore } from '../../src/store/directory-store';
import { s3Options, S3Store } from '../../src/store/s3-store';
import { startS3, type TestS3 } from '../support/services/s3';

const MB = 1024 * 1024;
let s3: TestS3;
beforeAll(async () => {
  s3 = await startS3();
});
afterAll(() => s3.stop());

/** A stream of `size` bytes made chunk by chunk (never one buffer), each byte a function of its offset. */
function patterned(size: number, chunk = 256 * 1024, failAfter?: number): ReadableStream<Uint8Array> {
  let sent = 0;
  return new ReadableStream({
    pull(c) {
      if (failAfter !== undefined && sent >= failAfter) return c.error(new Error('the client went away'));
      if (sent >= size) return c.close();
      const n = Math.min(chunk, size - sent);
      const b = new Uint8Array(n);
      for (let i = 0; i < n; i++) b[i] = (sent + i) % 251;
      sent += n;
      c.enqueue(b);
    },
  });
}
const bytesOf = async (s: ReadableStream<Uint8Array> | Blob) => new Uint8Array(await new Response(s).arrayBuffer());
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const tmp = () => mkdtempSync(join(tmpdir(), 'aq-bytes-'));

const stores: [string, () => ByteStore][] = [
  ['directory', () => new DirectoryStore(join(tmp(), 'files'))],
  ['S3 bucket', () => new S3Store({ bucket: s3.bucket, prefix: `t${Math.random().toString(36).slice(2, 8)}/` }, s3Options({ bucket: s3.bucket, prefix: '' }, s3.env))],
];

describe.each(stores)('byte store: %s', (_name, make) => {
  let store: ByteStore;
  beforeAll(() => {
    store = make();
  });

  test('put a stream → its size; stat, read whole, read a range, download', async () => {
    expect(await store.put('file-a', patterned(300_000))).toBe(300_000);
    expect(await store.stat('file-a')).toEqual({ size: 300_000 });
    const whole = await bytesOf(store.read('file-a'));
    expect(sha(whole)).toBe(sha(await bytesOf(patterned(300_000))));
    expect(await bytesOf(store.read('file-a', { start: 1000, end: 1010 }))).toEqual(whole.slice(1000, 1010));
    expect(sha(await bytesOf(await store.download('file-a')))).toBe(sha(whole));
  });

  test('putFile moves a local file in: the local file is gone, the bytes are stored', async () => {
    const local = join(tmp(), 'upload');
    writeFileSync(local, 'hello, store');
    await store.putFile('file-b', local);
    expect(existsSync(local)).toBe(false);
    expect(await new Response(store.read('file-b')).text()).toBe('hello, store');
  });

  test('an empty object is stored and read as empty', async () => {
    expect(await store.put('file-empty', patterned(0))).toBe(0);
    expect(await store.stat('file-empty')).toEqual({ size: 0 });
    expect((await bytesOf(store.read('file-empty'))).byteLength).toBe(0);
  });

  test('delete removes the object; a missing key: stat undefined, delete fine, read fails', async () => {
    await store.put('file-c', patterned(10));
    await store.delete('file-c');
    expect(await store.stat('file-c')).toBeUndefined();
    await store.delete('file-c');
    expect(await store.stat('file-never')).toBeUndefined();
    await expect(bytesOf(store.read('file-never'))).rejects.toThrow();
    await expect(store.download('file-never')).rejects.toBeInstanceOf(ObjectMissing);
  });

  test('download of an empty object is an empty body', async () => {
    await store.put('file-empty2', patterned(0));
    expect((await bytesOf(await store.download('file-empty2'))).byteLength).toBe(0);
  });

  test('a stream that fails part-way (after more than one S3 part) leaves no object', async () => {
    await expect(store.put('file-broken', patterned(20 * MB, 256 * 1024, 11 * MB))).rejects.toThrow('the client went away');
    expect(await store.stat('file-broken')).toBeUndefined();
  });

  test('a 12 MB stream round-trips byte for byte', async () => {
    const size = 12 * MB + 123;
    expect(await store.put('file-large', patterned(size))).toBe(size);
    expect(await store.stat('file-large')).toEqual({ size });
    expect(sha(await bytesOf(store.read('file-large')))).toBe(sha(await bytesOf(patterned(size))));
   }, 30_000);

  test('keys that are not plain ids are refused before they reach a path or an object name', async () => {
    for (const bad of ['../x', 'a/b', '', '.incoming/x', 'file-\u0000']) {
      expect(() => store.read(bad)).toThrow('invalid byte-store key');
      await expect(store.delete(bad)).rejects.toThrow('invalid byte-store key');
    }
  });

  test('check() finds the store usable', async () => {
    expect(await store.check()).toBeUndefined();
  });
});

describe('directory store specifics', () => {
  test('nothing is left in .incoming after puts, failed or not', async () => {
    const dir = join(tmp(), 'shared');
    const store = new DirectoryStore(dir);
    await store.put('file-ok', patterned(1000));
    await store.put('file-bad', patterned(1000, 100, 500)).catch(() => {});
    expect(readdirSync(join(dir, '.incoming'))).toEqual([]);
    expect(readdirSync(dir).sort()).toEqual(['.incoming', 'file-ok']);
  });

  test('leftovers of a crash older than a day are removed from .incoming at start; fresh ones (another node\'s) stay', () => {
    const dir = tmp();
    new DirectoryStore(dir);
    const old = join(dir, '.incoming', 'put-old');
    const fresh = join(dir, '.incoming', 'put-fresh');
    writeFileSync(old, 'x');
    writeFileSync(fresh, 'y');
    const twoDaysAgo = new Date(Date.now() - 2 * 86_400_000);
    utimesSync(old, twoDaysAgo, twoDaysAgo);
    new DirectoryStore(dir);
    expect(readdirSync(join(dir, '.incoming'))).toEqual(['put-fresh']);
  });

  test('two stores over one shared directory see each other\'s objects (two nodes, one NFS mount)', async () => {
    const dir = tmp();
    const a = new DirectoryStore(dir);
    const b = new DirectoryStore(dir);
    await a.put('file-shared', patterned(4096));
    expect(await b.stat('file-shared')).toEqual({ size: 4096 });
    expect(sha(await bytesOf(b.read('file-shared')))).toBe(sha(await bytesOf(patterned(4096))));
    await b.delete('file-shared');
    expect(await a.stat('file-shared')).toBeUndefined();
  });
});

describe('S3 store specifics', () => {
  const prefix = 'mp/';
  const store = () => new S3Store({ bucket: s3.bucket, prefix }, s3Options({ bucket: s3.bucket, prefix }, s3.env));

  test('a 12 MB put is a multipart upload (three parts of at most 5 MB), stored under the prefix', async () => {
    const before = s3.requests.length;
    await store().put('file-mp', patterned(12 * MB));
    const seen = s3.requests.slice(before);
    const parts = seen.filter((r) => r.method === 'PUT' && r.query.has('partNumber') && r.query.has('uploadId'));
    expect(parts.map((r) => r.query.get('partNumber')).sort()).toEqual(['1', '2', '3']);
    expect(seen.some((r) => r.method === 'POST' && r.query.has('uploads'))).toBe(true); // CreateMultipartUpload
    expect(seen.some((r) => r.method === 'POST' && r.query.has('uploadId'))).toBe(true); // CompleteMultipartUpload
    expect(parts.every((r) => r.path === `/${s3.bucket}/${prefix}file-mp`)).toBe(true);
    expect((await s3.objects(prefix)).get(`${prefix}file-mp`)).toBe(12 * MB);
   }, 30_000);

  test('every part but the last is at least 5 MiB (S3 refuses smaller ones), whatever the chunk sizes', async () => {
    for (const chunk of [300_000, 1_000_003, 64 * 1024]) {
      const key = `file-parts${chunk}`;
      const before = s3.requests.length;
      const size = 17 * MB + 5;
      await store().put(key, patterned(size, chunk));
      const parts = s3.requests.slice(before).filter((r) => r.method === 'PUT' && r.query.has('partNumber') && r.path.endsWith(key));
      parts.sort((a, b) => Number(a.query.get('partNumber')) - Number(b.query.get('partNumber')));
      expect(parts).toHaveLength(4);
      expect(parts.reduce((n, p) => n + p.bytes, 0)).toBe(size);
      expect(parts.slice(0, -1).every((p) => p.bytes >= 5 * MB)).toBe(true);
      expect(parts.slice(0, -1).map((p) => p.bytes)).toEqual(Array(parts.length - 1).fill(parts[0]!.bytes)); // equal parts: Cloudflare R2 requires them
    }
   }, 60_000); // three 17 MB uploads to a Node S3 server

  test('a small put is one PUT, no multipart', async () => {
    const before = s3.requests.length;
    await store().put('file-small', patterned(1000));
    const seen = s3.requests.slice(before);
    expect(seen.filter((r) => r.method === 'PUT').length).toBe(1);
    expect(seen.some((r) => r.query.has('uploads') || r.query.has('partNumber'))).toBe(false);
  });

  test('check() reports refused credentials and a missing bucket', async () => {
    // s3rver refuses an unknown access key id (it does not verify SigV4 signatures, so a wrong secret passes there).
    const wrongKey = new S3Store({ bucket: s3.bucket, prefix: '' }, s3Options({ bucket: s3.bucket, prefix: '' }, { ...s3.env, AWS_ACCESS_KEY_ID: 'NOT-A-KEY' }));
    expect(await wrongKey.check()).toMatch(new RegExp(`^s3://${s3.bucket}/: InvalidAccessKeyId`));
    const noBucket = new S3Store({ bucket: 'no-such-bucket', prefix: 'x/' }, s3Options({ bucket: 'no-such-bucket', prefix: 'x/' }, s3.env));
    expect(await noBucket.check()).toMatch(/^s3:\/\/no-such-bucket\/x\/: NoSuchBucket/);
  });
});

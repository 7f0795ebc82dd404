/**
 * Bytes as objects in an S3-compatible bucket, through Bun's built-in S3 client (SigV4). Uploads stream in
 * parts (a multipart upload once they pass one part), so memory holds at most a few parts whatever the
 * file's size; a whole object appears only once the upload completes. Downloads stream from the bucket through
 * the gateway (never a redirect: clients may not reach the bucket, and the gateway's headers must stay).
 */
import { S3Client, type S3Options } from 'bun';
import { rm } from 'node:fs/promises';
import { assertKey, ObjectMissing, type ByteRange, type ByteStore } from './byte-store';

/** S3's smallest part (but the last); parts of this size keep an upload's memory small. */
export const PART_SIZE = 5 * 1024 * 1024;

export type S3Location = { bucket: string; /** '' or a path ending in '/'. */ prefix: string };

/**
 * The client options from the standard environment: AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL (else S3_ENDPOINT),
 * AWS_REGION or AWS_DEFAULT_REGION (else S3_REGION), AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN
 * (else the S3_* names Bun reads). Read from the given environment, so tests and check-config see the same.
 */
export function s3Options(loc: S3Location, env: Record<string, string | undefined>): S3Options {
  const pick = (...names: string[]) => names.map((n) => env[n]).find((v) => v !== undefined && v !== '');
  const opts: S3Options = { bucket: loc.bucket };
  const endpoint = pick('AWS_ENDPOINT_URL_S3', 'AWS_ENDPOINT_URL', 'S3_ENDPOINT');
  const region = pick('AWS_REGION', 'AWS_DEFAULT_REGION', 'S3_REGION');
  const accessKeyId = pick('AWS_ACCESS_KEY_ID', 'S3_ACCESS_KEY_ID');
  const secretAccessKey = pick('AWS_SECRET_ACCESS_KEY', 'S3_SECRET_ACCESS_KEY');
  const sessionToken = pick('AWS_SESSION_TOKEN', 'S3_SESSION_TOKEN');
  if (endpoint !== undefined) opts.endpoint = endpoint;
  if (region !== undefined) opts.region = region;
  if (accessKeyId !== undefined) opts.accessKeyId = accessKeyId;
  if (secretAccessKey !== undefined) opts.secretAccessKey = secretAccessKey;
  if (sessionToken !== undefined) opts.sessionToken = sessionToken;
  return opts;
}

export class S3Store implements ByteStore {
  readonly location: string;
  private readonly client: S3Client;

  constructor(
    private readonly loc: S3Location,
    options: S3Options,
    private readonly partSize = PART_SIZE,
  ) {
    this.location = `s3://${loc.bucket}/${loc.prefix}`;
    this.client = new S3Client(options);
  }

  private keyOf(key: string): string {
    assertKey(key);
    return `${this.loc.prefix}${key}`;
  }

  async putFile(key: string, localPath: string): Promise<void> {
    await this.put(key, Bun.file(localPath).stream());
    await rm(localPath, { force: true });
  }

  async put(key: string, body: ReadableStream<Uint8Array>): Promise<number> {
    const writer = this.client.file(this.keyOf(key)).writer({ partSize: this.partSize, queueSize: 2, retry: 3, type: 'application/octet-stream' });
    let bytes = 0;
    let unflushed = 0;
    try {
      for await (const chunk of body) {
        bytes += chunk.byteLength;
        unflushed += chunk.byteLength;
        await writer.write(chunk);
        // write() never pushes back (Bun 1.4.5 returns a number and buffers: a 256 MB file took 290 MB of memory).
        // Waiting on flush() once a part's worth is buffered sends that part before more is read: memory stays
        // at a few parts (measured: 48 MB over the base for 256 MB), whatever the file's size.
        if (unflushed >= this.partSize) {
          await writer.flush();
          unflushed = 0;
        }
      }
      await writer.end();
      return bytes;
    } catch (err) {
      // Bun's writer has no abort: end(error) still completes the upload with the parts sent so far (seen with
      // Bun 1.4.5). So the partial object is deleted again. Until then it sits under a fresh id that no row
      // names, so no caller can reach it.
      await Promise.resolve(writer.end(err as Error)).catch(() => {});
      await this.client.delete(this.keyOf(key)).catch(() => {});
      throw err;
    }
  }

  read(key: string, range?: ByteRange): ReadableStream<Uint8Array> {
    const file = this.client.file(this.keyOf(key));
    return (range ? file.slice(range.start, range.end) : file).stream();
  }

  async download(key: string): Promise<ReadableStream<Uint8Array>> {
    const reader = this.read(key).getReader();
    let first: Awaited<ReturnType<typeof reader.read>>;
    try {
      first = await reader.read();
    } catch (err) {
      if ((err as { code?: string }).code === 'NoSuchKey') throw new ObjectMissing(key);
      throw err;
    }
    // The bytes already read go first, then the rest as the client takes them.
    return new ReadableStream<Uint8Array>({
      start(c) {
        if (first.done) c.close();
        else c.enqueue(first.value);
      },
      async pull(c) {
        const { done, value } = await reader.read();
        if (done) c.close();
        else c.enqueue(value);
      },
      cancel: (reason) => reader.cancel(reason),
    });
  }

  async stat(key: string): Promise<{ size: number } | undefined> {
    const k = this.keyOf(key);
    if (!(await this.client.exists(k))) return undefined;
    return { size: (await this.client.stat(k)).size };
  }

  async delete(key: string): Promise<void> {
    await this.client.delete(this.keyOf(key)); // S3 answers a delete of a missing key with success
  }

  /** Writes, reads back and deletes a small object under the prefix: the three things the gateway does. */
  async check(): Promise<string | undefined> {
    const probe = `${this.loc.prefix}.aqueduct-check-${crypto.randomUUID()}`;
    try {
      await this.client.write(probe, 'aqueduct');
      if ((await this.client.file(probe).text()) !== 'aqueduct') return `${this.location}: an object written could not be read back`;
      await this.client.delete(probe);
      return undefined;
    } catch (err) {
      const e = err as Error & { code?: string };
      return `${this.location}: ${e.code && e.code !== 'UnknownError' ? `${e.code}: ` : ''}${e.message}`;
    }
  }
}

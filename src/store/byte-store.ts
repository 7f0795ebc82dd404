/**
 * Where stored files' bytes live: one seam with two implementations, a directory (the data dir's files/, or a
 * shared one such as NFS) and an S3-compatible bucket. Metadata, owners, quota and ids stay in the database
 * (src/domain/files/file-store.ts); a store knows only opaque keys (file ids) and their bytes.
 */

/** A byte range [start, end): end exclusive, like Blob.slice. */
export interface ByteRange {
  start: number;
  end: number;
}

export interface ByteStore {
  /** Where the bytes go, for logs and check-config: a directory path or s3://bucket/prefix. */
  readonly location: string;
  /**
   * Stores a complete local file under `key` and removes the local file. The object is visible only once it
   * is whole (a directory renames it into place; S3 completes its multipart upload), so a failure leaves nothing.
   */
  putFile(key: string, localPath: string): Promise<void>;
  /**
   * Stores a stream under `key` (never held whole in memory) and returns the byte count. When the stream fails,
   * nothing stays under `key` (S3: a partial object may exist briefly, under a key nothing else names yet).
   */
  put(key: string, body: ReadableStream<Uint8Array>): Promise<number>;
  /** The bytes (or a range of them), streamed. A missing key fails the stream. */
  read(key: string, range?: ByteRange): ReadableStream<Uint8Array>;
  /**
   * A body for an HTTP download (a directory hands over the file itself, so Bun can send it without copying).
   * Resolves once the object is known to be there (S3: its first bytes have arrived), so that a missing object or
   * an unreachable store becomes an error answer rather than a download cut after its headers: ObjectMissing
   * when there is no such object, any other error when the store failed.
   */
  download(key: string): Promise<Blob | ReadableStream<Uint8Array>>;
  /** The object's size, or undefined when it does not exist. */
  stat(key: string): Promise<{ size: number } | undefined>;
  /** Removes the object; a missing one is not an error. */
  delete(key: string): Promise<void>;
  /** A problem that would stop the gateway storing files (unreachable, refused, not writable), or undefined. */
  check(): Promise<string | undefined>;
}

export class ObjectMissing extends Error {
  constructor(key: string) {
    super(`no object ${key} in the file store`);
  }
}

/** Keys are file ids the gateway generated; anything else never reaches a path or an object name. */
export function assertKey(key: string): void {
  if (!/^[A-Za-z0-9_-]{1,100}$/.test(key)) throw new Error(`invalid byte-store key ${JSON.stringify(key.slice(0, 40))}`);
}

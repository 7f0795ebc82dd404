/**
 * Bytes as files in one directory: <data-dir>/files by default, or a directory several gateways share (NFS).
 * A new object is written under .incoming/ in the same directory and renamed into place, so it appears whole
 * or not at all, also to another node reading the same directory.
 */
import { mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { open, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { assertKey, ObjectMissing, type ByteRange, type ByteStore } from './byte-store';
import { writeAll } from './write-all';

export class DirectoryStore implements ByteStore {
  readonly location: string;
  private readonly incoming: string;

  constructor(dir: string) {
    this.location = dir;
    this.incoming = join(dir, '.incoming');
    mkdirSync(this.incoming, { recursive: true, mode: 0o700 });
    this.removeStale();
  }

  /**
   * What a crash left in .incoming. Only entries older than a day go: in a shared directory the fresh ones may be
   * another node's writes in progress.
   */
  private removeStale(maxAgeMs = 86_400_000): void {
    const before = Date.now() - maxAgeMs;
    for (const name of readdirSync(this.incoming)) {
      const path = join(this.incoming, name);
      try {
        if (statSync(path).mtimeMs < before) rmSync(path, { force: true });
      } catch {
        // gone meanwhile (another node cleaned it): nothing to do
      }
    }
  }

  private pathOf(key: string): string {
    assertKey(key);
    return join(this.location, key);
  }

  async putFile(key: string, localPath: string): Promise<void> {
    const target = this.pathOf(key);
    try {
      await rename(localPath, target);
    } catch (err) {
      // A shared directory is usually another file system than the local upload area: copy, then rename.
      if ((err as NodeJS.ErrnoException).code !== 'EXDEV') throw err;
      await this.put(key, Bun.file(localPath).stream());
      await rm(localPath, { force: true });
    }
  }

  async put(key: string, body: ReadableStream<Uint8Array>): Promise<number> {
    const target = this.pathOf(key);
    const temp = join(this.incoming, `put-${crypto.randomUUID()}`);
    const handle = await open(temp, 'wx', 0o600);
    let closed = false;
    try {
      let bytes = 0;
      for await (const chunk of body) {
        bytes += chunk.byteLength;
        await writeAll(handle, chunk);
      }
      await handle.sync(); // on disk before it is visible
      await handle.close();
      closed = true;
      await rename(temp, target);
      return bytes;
    } catch (err) {
      if (!closed) await handle.close().catch(() => {});
      await rm(temp, { force: true });
      throw err;
    }
  }

  read(key: string, range?: ByteRange): ReadableStream<Uint8Array> {
    const file = Bun.file(this.pathOf(key));
    return (range ? file.slice(range.start, range.end) : file).stream();
  }

  async download(key: string): Promise<Blob> {
    const file = Bun.file(this.pathOf(key));
    if (!(await file.exists())) throw new ObjectMissing(key);
    return file;
  }

  async stat(key: string): Promise<{ size: number } | undefined> {
    try {
      return { size: (await stat(this.pathOf(key))).size };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  async delete(key: string): Promise<void> {
    await rm(this.pathOf(key), { force: true });
  }

  async check(): Promise<string | undefined> {
    const probe = join(this.incoming, `check-${crypto.randomUUID()}`);
    try {
      await Bun.write(probe, 'aqueduct');
      await rm(probe, { force: true });
      return undefined;
    } catch (err) {
      return `${this.location} is not writable: ${(err as Error).message}`;
    }
  }
}

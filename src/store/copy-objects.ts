/**
 * Copies stored files' bytes from one byte store to another (the data dir's files to S3, say), streaming each
 * object and checking its size against the one the database records. An object already in the target with the
 * expected size is left alone, so a re-run after a failure does not copy everything again.
 */
import type { ByteStore } from './byte-store';

export interface ObjectToCopy {
  key: string;
  size: number;
}

export interface CopyObjectsResult {
  copied: number;
  skipped: number;
  bytes: number;
  /** One line per object that could not be copied or came out at the wrong size. */
  problems: string[];
}

export async function copyObjects(from: ByteStore, to: ByteStore, objects: Iterable<ObjectToCopy>): Promise<CopyObjectsResult> {
  const result: CopyObjectsResult = { copied: 0, skipped: 0, bytes: 0, problems: [] };
  for (const o of objects) {
    try {
      const there = await to.stat(o.key);
      if (there?.size === o.size) {
        result.skipped++;
        continue;
      }
      const source = await from.stat(o.key);
      if (source === undefined) {
        result.problems.push(`${o.key}: missing in ${from.location}`);
        continue;
      }
      if (source.size !== o.size) {
        result.problems.push(`${o.key}: ${source.size} bytes in ${from.location}, the database says ${o.size}`);
        continue;
      }
      const written = await to.put(o.key, from.read(o.key));
      const stored = await to.stat(o.key);
      if (written !== o.size || stored?.size !== o.size) {
        result.problems.push(`${o.key}: wrote ${written} bytes (stored ${stored?.size ?? 'none'}), expected ${o.size}`);
        continue;
      }
      result.copied++;
      result.bytes += written;
    } catch (err) {
      result.problems.push(`${o.key}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  return result;
}

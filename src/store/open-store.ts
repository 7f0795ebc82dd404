/** AQUEDUCT_FILE_STORE (src/config/file-store.ts) → the byte store it names. */
import { existsSync } from 'node:fs';
import { fileStoreLocation } from '../config/file-store';
import type { ByteStore } from './byte-store';
import { DirectoryStore } from './directory-store';
import { s3Options, S3Store } from './s3-store';

export function openByteStore(fileStore: string | undefined, dataDir: string, env: Record<string, string | undefined>): ByteStore {
  const loc = fileStoreLocation(fileStore, dataDir);
  if (loc.kind === 's3') return new S3Store(loc, s3Options(loc, env));
  // A directory named on purpose is usually a mount (NFS): when it is missing, the mount is, and creating an
  // empty local directory in its place would split the files between nodes without a word.
  if (fileStore !== undefined && fileStore !== '' && !existsSync(loc.dir)) throw new Error(`the directory ${loc.dir} does not exist (mount or create it)`);
  return new DirectoryStore(loc.dir);
}

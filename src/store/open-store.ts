/** AQUEDUCT_FILE_STORE (src/config/file-store.ts) → the byte store it names. */
import { fileStoreLocation } from '../config/file-store';
import type { ByteStore } from './byte-store';
import { DirectoryStore } from './directory-store';
import { s3Options, S3Store } from './s3-store';

export function openByteStore(fileStore: string | undefined, dataDir: string, env: Record<string, string | undefined>): ByteStore {
  const loc = fileStoreLocation(fileStore, dataDir);
  return loc.kind === 's3' ? new S3Store(loc, s3Options(loc, env)) : new DirectoryStore(loc.dir);
}

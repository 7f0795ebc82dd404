/**
 * The terms-of-service file (AQUEDUCT_TOS_FILE): read, checked and given a version. The version is the
 * first 16 hex digits of the SHA-256 of its bytes, so any edit is a new version and an unchanged file
 * keeps its version across restarts. Read by check-config, at start and whenever the file changes
 * (src/domain/terms.ts watches it).
 */
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';

/** Larger than this is not a terms page but a mistake (a log, a binary). */
export const MAX_TERMS_BYTES = 1024 * 1024;

export interface TermsDocument {
  /** First 16 hex digits of the SHA-256 of the file's bytes. */
  version: string;
  text: string;
  /** `.md`/`.markdown` files are rendered (a safe Markdown subset); anything else is shown as plain text. */
  format: 'markdown' | 'text';
  /** What the watcher compares to notice a change without reading the file. */
  stamp: string;
}

export const termsVersion = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex').slice(0, 16);

/** Identifies a state of the file by its metadata: a different stamp means "read it again". */
export function termsStamp(path: string): string {
  const s = statSync(path);
  return `${s.ino}:${s.size}:${s.mtimeMs}`;
}

/** Reads and checks the file; throws an Error whose message says what is wrong with it. */
export function readTermsFile(path: string): TermsDocument {
  let stamp: string;
  let bytes: Buffer;
  try {
    const s = statSync(path);
    if (!s.isFile()) throw new Error('not a regular file');
    if (s.size > MAX_TERMS_BYTES) throw new Error(`${s.size} bytes, more than the ${MAX_TERMS_BYTES} allowed`);
    stamp = `${s.ino}:${s.size}:${s.mtimeMs}`;
    bytes = readFileSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new Error(code ? `cannot read: ${code}` : (err as Error).message);
  }
  if (bytes.length > MAX_TERMS_BYTES) throw new Error(`${bytes.length} bytes, more than the ${MAX_TERMS_BYTES} allowed`);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new Error('not UTF-8 text');
  }
  if (text.trim() === '') throw new Error('empty');
  return { version: termsVersion(bytes), text, format: /\.(md|markdown)$/i.test(path) ? 'markdown' : 'text', stamp };
}

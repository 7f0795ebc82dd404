/** Unguessable resource ids: a prefix and 24 base62 characters (about 143 random bits). */
import { randomBytes } from 'node:crypto';

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

export function randomId(prefix: string, length = 24): string {
  const bytes = randomBytes(length * 2);
  let out = prefix;
  // Rejection sampling keeps every character uniform (248 = 4 × 62).
  for (let i = 0; i < bytes.length && out.length < prefix.length + length; i++) if (bytes[i]! < 248) out += ALPHABET[bytes[i]! % 62];
  return out.length === prefix.length + length ? out : randomId(prefix, length);
}

/** Ids as they come from a URL: only the characters we generate, so nothing odd reaches a query or a path. */
export function isWellFormedId(id: string, prefix: string): boolean {
  return id.startsWith(prefix) && /^[A-Za-z0-9]+$/.test(id.slice(prefix.length)) && id.length <= 64;
}

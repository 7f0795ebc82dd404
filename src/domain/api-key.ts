/** Gateway keys: `sk-` + 43 URL-safe base64 characters (32 random bytes). Only the hash is stored. */
import { randomBytes } from 'node:crypto';

export function generateKey(): string {
  return `sk-${randomBytes(32).toString('base64url')}`;
}

export function hashKey(key: string): string {
  return new Bun.CryptoHasher('sha256').update(key).digest('hex');
}

/** `sk-...abcd`: safe to show and log. */
export function keyPreview(key: string): string {
  return `${key.slice(0, 3)}...${key.slice(-4)}`;
}

/** The key from `Authorization: Bearer <key>`, or undefined when the header is absent or malformed. */
export function bearerKey(header: string | null | undefined): string | undefined {
  if (!header || header.length < 8) return undefined;
  // "Bearer" is matched case-insensitively (RFC 9110 auth schemes are case-insensitive).
  if (header.slice(0, 7).toLowerCase() !== 'bearer ') return undefined;
  const key = header.slice(7).trim();
  return key === '' ? undefined : key;
}

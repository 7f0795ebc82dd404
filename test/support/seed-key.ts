/**
 * A user (in the default org, created when missing) and a key of theirs, written straight to a SQLite
 * database and synchronously: the test gateway hands out keys without awaiting, while the domain's
 * TokenService is async. Not the domain's path (no access change is logged): the caller reloads its key
 * cache. Key creation itself is tested through TokenService (test/db/directory-contract.test.ts).
 */
import type { Database } from 'bun:sqlite';
import { generateKey, hashKey, keyPreview } from '../../src/domain/api-key';
import type { Role } from '../../src/domain/key-cache';
import { DEFAULT_ORG } from '../../src/domain/tokens';

export interface SeedOptions {
  role?: Role;
  name?: string;
  expiresAt?: number | null;
}

export function seedKey(sqlite: Database, email: string, o: SeedOptions = {}): { key: string; userId: number; keyId: number } {
  sqlite.run('INSERT INTO orgs (name) VALUES (?) ON CONFLICT (name) DO NOTHING', [DEFAULT_ORG]);
  const orgId = sqlite.query<{ id: number }, [string]>('SELECT id FROM orgs WHERE name = ?').get(DEFAULT_ORG)!.id;
  sqlite.run('INSERT INTO users (email, org_id, role) VALUES (?, ?, ?) ON CONFLICT (email) DO NOTHING', [email, orgId, o.role ?? 'user']);
  const userId = sqlite.query<{ id: number }, [string]>('SELECT id FROM users WHERE email = ?').get(email)!.id;
  const key = generateKey();
  const keyId = sqlite
    .query<{ id: number }, [string, string, string, number, number | null]>('INSERT INTO api_keys (key_hash, preview, name, user_id, expires_at) VALUES (?, ?, ?, ?, ?) RETURNING id')
    .get(hashKey(key), keyPreview(key), o.name ?? '', userId, o.expiresAt ?? null)!.id;
  return { key, userId, keyId };
}

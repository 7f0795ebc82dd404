/**
 * Every live key, in memory: authentication is a hash and a Map lookup, never a database query.
 * Writes made by this process call `reload()` directly; writes made by other processes (the CLI while the
 * server runs) are noticed by polling the `keys` revision counter, a single-row primary-key read.
 */
import type { Database } from 'bun:sqlite';
import { hashKey } from './api-key';
import { KEYS_REVISION, readRevision } from './revisions';

export interface Principal {
  keyId: number;
  keyName: string;
  keyPreview: string;
  userId: number;
  email: string;
  role: 'user' | 'org-admin' | 'admin';
  orgId: number;
  /** Unix ms, or null for keys that never expire. */
  expiresAt: number | null;
}

export interface KeyCache {
  /** The principal for a raw key, or undefined when it is unknown, revoked or expired. */
  authenticate(key: string): Principal | undefined;
  reload(): void;
  close(): void;
}

interface Row {
  key_id: number;
  key_hash: string;
  key_name: string;
  preview: string;
  expires_at: number | null;
  user_id: number;
  email: string;
  role: Principal['role'];
  org_id: number;
}

export function createKeyCache(sqlite: Database, refreshIntervalMs = 1000, now: () => number = Date.now): KeyCache {
  const load = sqlite.query<Row, []>(
    `SELECT k.id AS key_id, k.key_hash, k.name AS key_name, k.preview, k.expires_at,
            u.id AS user_id, u.email, u.role, u.org_id
       FROM api_keys k JOIN users u ON u.id = k.user_id
      WHERE k.revoked_at IS NULL`,
  );
  let byHash = new Map<string, Principal>();
  let revision = -1;

  const reload = () => {
    revision = readRevision(sqlite, KEYS_REVISION);
    const next = new Map<string, Principal>();
    for (const r of load.all()) {
      next.set(r.key_hash, {
        keyId: r.key_id,
        keyName: r.key_name,
        keyPreview: r.preview,
        userId: r.user_id,
        email: r.email,
        role: r.role,
        orgId: r.org_id,
        expiresAt: r.expires_at,
      });
    }
    byHash = next;
  };
  reload();

  const timer = setInterval(() => {
    try {
      if (readRevision(sqlite, KEYS_REVISION) !== revision) reload();
    } catch {
      // A busy or closing database: try again on the next tick.
    }
  }, refreshIntervalMs);
  timer.unref();

  return {
    authenticate(key) {
      const principal = byHash.get(hashKey(key));
      if (principal === undefined) return undefined;
      if (principal.expiresAt !== null && principal.expiresAt <= now()) return undefined;
      return principal;
    },
    reload,
    close: () => clearInterval(timer),
  };
}

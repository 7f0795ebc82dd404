/** Orgs, users and their keys: the operations shared by the CLI, first start and (later) the admin API. */
import { and, asc, eq, isNull } from 'drizzle-orm';
import type { DbHandle } from '../db/connection';
import { apiKeys, orgs, users } from '../db/schema';
import { generateKey, hashKey, keyPreview } from './api-key';
import { ACCESS_REVISION, bumpRevision } from './revisions';

export const DEFAULT_ORG = 'default';
export type Role = 'user' | 'org-admin' | 'admin';

export interface KeyInfo {
  id: number;
  name: string;
  preview: string;
  email: string;
  createdAt: number;
  expiresAt: number | null;
  revokedAt: number | null;
  lastUsedAt: number | null;
}

export class TokenService {
  constructor(private readonly h: DbHandle) {}

  /** Returns the id of the org with this name, creating it when missing. */
  ensureOrg(name: string = DEFAULT_ORG): number {
    const found = this.h.db.select({ id: orgs.id }).from(orgs).where(eq(orgs.name, name)).get();
    if (found) return found.id;
    return this.h.db.insert(orgs).values({ name }).returning({ id: orgs.id }).get().id;
  }

  /** Returns the user with this email, creating it (in the default org) when missing. */
  ensureUser(email: string, role: Role = 'user'): { id: number; created: boolean } {
    const found = this.h.db.select({ id: users.id }).from(users).where(eq(users.email, email)).get();
    if (found) return { id: found.id, created: false };
    return this.h.sqlite.transaction(() => {
      const orgId = this.ensureOrg();
      const id = this.h.db.insert(users).values({ email, orgId, role }).returning({ id: users.id }).get().id;
      bumpRevision(this.h.sqlite, ACCESS_REVISION);
      return { id, created: true };
    })();
  }

  /** Runs `fn` in one transaction (nested calls become savepoints). */
  transaction<T>(fn: () => T): T {
    return this.h.sqlite.transaction(fn)();
  }

  userCount(): number {
    return this.h.sqlite.query<{ n: number }, []>('SELECT count(*) AS n FROM users').get()!.n;
  }

  /** Creates a key; the raw key is returned once and never stored. */
  createKey(userId: number, name = '', expiresAt: number | null = null): { key: string; id: number; preview: string } {
    const key = generateKey();
    const preview = keyPreview(key);
    const id = this.h.sqlite.transaction(() => {
      const row = this.h.db
        .insert(apiKeys)
        .values({ keyHash: hashKey(key), preview, name, userId, expiresAt })
        .returning({ id: apiKeys.id })
        .get();
      bumpRevision(this.h.sqlite, ACCESS_REVISION);
      return row.id;
    })();
    return { key, id, preview };
  }

  listKeys(email?: string): KeyInfo[] {
    const q = this.h.db
      .select({
        id: apiKeys.id,
        name: apiKeys.name,
        preview: apiKeys.preview,
        email: users.email,
        createdAt: apiKeys.createdAt,
        expiresAt: apiKeys.expiresAt,
        revokedAt: apiKeys.revokedAt,
        lastUsedAt: apiKeys.lastUsedAt,
      })
      .from(apiKeys)
      .innerJoin(users, eq(users.id, apiKeys.userId));
    return (email === undefined ? q : q.where(eq(users.email, email))).orderBy(asc(apiKeys.id)).all();
  }

  /** Revokes a key by id; false when there is no such live key. */
  revokeKey(id: number): boolean {
    return this.h.sqlite.transaction(() => {
      const changed = this.h.db
        .update(apiKeys)
        .set({ revokedAt: Date.now() })
        .where(and(eq(apiKeys.id, id), isNull(apiKeys.revokedAt)))
        .returning({ id: apiKeys.id })
        .all();
      if (changed.length > 0) bumpRevision(this.h.sqlite, ACCESS_REVISION);
      return changed.length > 0;
    })();
  }
}

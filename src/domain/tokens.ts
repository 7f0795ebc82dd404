/** Keys: creation (the raw key is returned once), listing (previews only), limits and revocation. */
import { and, asc, count, eq, gt, isNull, or, type SQL } from 'drizzle-orm';
import type { DbHandle } from '../db/connection';
import { apiKeys, orgs, users } from '../db/schema';
import { generateKey, hashKey, keyPreview } from './api-key';
import type { Role } from './key-cache';
import { recordAccessChanges, type AccessChange } from './revisions';

export const DEFAULT_ORG = 'default';

export interface KeyInfo {
  id: number;
  name: string;
  preview: string;
  userId: number;
  email: string;
  orgId: number;
  serviceAccountId: number | null;
  createdAt: number;
  expiresAt: number | null;
  revokedAt: number | null;
  lastUsedAt: number | null;
  rpm: number | null;
  itpm: number | null;
  otpm: number | null;
}

const keyColumns = {
  id: apiKeys.id,
  name: apiKeys.name,
  preview: apiKeys.preview,
  userId: apiKeys.userId,
  email: users.email,
  orgId: users.orgId,
  serviceAccountId: apiKeys.serviceAccountId,
  createdAt: apiKeys.createdAt,
  expiresAt: apiKeys.expiresAt,
  revokedAt: apiKeys.revokedAt,
  lastUsedAt: apiKeys.lastUsedAt,
  rpm: apiKeys.rpm,
  itpm: apiKeys.itpm,
  otpm: apiKeys.otpm,
};

export class TokenService {
  constructor(private readonly h: DbHandle) {}

  /**
   * Runs `fn` in one write transaction (nested calls become savepoints). IMMEDIATE takes the write lock at
   * the start, so another process holding it makes us wait (busy_timeout) instead of failing at once.
   */
  transaction<T>(fn: () => T): T {
    return this.h.sqlite.transaction(fn).immediate();
  }

  /** A write, with what it touched (for key caches) recorded in the same transaction. */
  private write<T>(fn: () => T, touched: (out: T) => AccessChange[]): T {
    return this.transaction(() => {
      const out = fn();
      recordAccessChanges(this.h.sqlite, touched(out));
      return out;
    });
  }

  /** Returns the id of the org with this name, creating it when missing. */
  ensureOrg(name: string = DEFAULT_ORG): number {
    const found = this.h.db.select({ id: orgs.id }).from(orgs).where(eq(orgs.name, name)).get();
    if (found) return found.id;
    return this.write(() => this.h.db.insert(orgs).values({ name }).returning({ id: orgs.id }).get().id, () => []);
  }

  /** Returns the user with this email, creating it (in the default org) when missing. */
  ensureUser(email: string, role: Role = 'user'): { id: number; created: boolean } {
    const found = this.h.db.select({ id: users.id }).from(users).where(eq(users.email, email)).get();
    if (found) return { id: found.id, created: false };
    return this.write(() => {
      const orgId = this.ensureOrg();
      const id = this.h.db.insert(users).values({ email, orgId, role }).returning({ id: users.id }).get().id;
      return { id, created: true };
    }, () => []);
  }

  userCount(): number {
    return this.h.sqlite.query<{ n: number }, []>('SELECT count(*) AS n FROM users').get()!.n;
  }

  /** Creates a key; the raw key is returned once and never stored. */
  createKey(userId: number, name = '', expiresAt: number | null = null, serviceAccountId: number | null = null): { key: string; id: number; preview: string } {
    const key = generateKey();
    const preview = keyPreview(key);
    const id = this.write(
      () => this.h.db.insert(apiKeys).values({ keyHash: hashKey(key), preview, name, userId, expiresAt, serviceAccountId }).returning({ id: apiKeys.id }).get().id,
      (id) => [{ kind: 'key', ref: id }],
    );
    return { key, id, preview };
  }

  /** Live personal keys of a user: neither revoked nor expired (the per-user cap counts these). */
  personalKeyCount(userId: number, now = Date.now()): number {
    return this.h.db
      .select({ n: count() })
      .from(apiKeys)
      .where(and(eq(apiKeys.userId, userId), isNull(apiKeys.serviceAccountId), isNull(apiKeys.revokedAt), or(isNull(apiKeys.expiresAt), gt(apiKeys.expiresAt, now))))
      .get()!.n;
  }

  listKeys(filter: { email?: string; userId?: number; orgId?: number; includeServiceAccounts?: boolean; includeRevoked?: boolean } = {}): KeyInfo[] {
    const conds: (SQL | undefined)[] = [
      filter.email !== undefined ? eq(users.email, filter.email) : undefined,
      filter.userId !== undefined ? eq(apiKeys.userId, filter.userId) : undefined,
      filter.orgId !== undefined ? eq(users.orgId, filter.orgId) : undefined,
      filter.includeServiceAccounts === false ? isNull(apiKeys.serviceAccountId) : undefined,
      filter.includeRevoked === false ? isNull(apiKeys.revokedAt) : undefined,
    ];
    return this.h.db
      .select(keyColumns)
      .from(apiKeys)
      .innerJoin(users, eq(users.id, apiKeys.userId))
      .where(and(...conds.filter((c) => c !== undefined)))
      .orderBy(asc(apiKeys.id))
      .all();
  }

  key(id: number): KeyInfo | undefined {
    return this.h.db.select(keyColumns).from(apiKeys).innerJoin(users, eq(users.id, apiKeys.userId)).where(eq(apiKeys.id, id)).get();
  }

  updateKey(id: number, patch: { name?: string; rpm?: number | null; itpm?: number | null; otpm?: number | null }): boolean {
    if (Object.keys(patch).length === 0) return this.key(id) !== undefined;
    return this.write(() => this.h.db.update(apiKeys).set(patch).where(eq(apiKeys.id, id)).returning({ id: apiKeys.id }).all().length > 0, () => [{ kind: 'key', ref: id }]);
  }

  /** Revokes a key by id; false when there is no such live key. */
  revokeKey(id: number): boolean {
    return this.write(
      () =>
        this.h.db
          .update(apiKeys)
          .set({ revokedAt: Date.now() })
          .where(and(eq(apiKeys.id, id), isNull(apiKeys.revokedAt)))
          .returning({ id: apiKeys.id })
          .all().length > 0,
      () => [{ kind: 'key', ref: id }],
    );
  }
}

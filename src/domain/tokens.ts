/**
 * Keys: creation (the raw key is returned once), listing (previews only), limits and revocation. The SQL
 * runs on SQLite and PostgreSQL alike, through the async Sql port (src/db/sql.ts); every write is one
 * transaction that logs what it touched for the key caches (revisions.ts).
 */
import { lockRow } from '../db/row-lock';
import type { Sql, SqlValue } from '../db/sql';
import { generateKey, hashKey, keyPreview } from './api-key';
import { assignments, columns, fromRow, type Table } from './directory-rows';
import type { Role } from './key-cache';
import { recordAccessChangesSql, type AccessChange } from './revisions';

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

/** The key's own columns (api_keys); its owner's email and org come from the join with users. */
const KEYS: Table<Omit<KeyInfo, 'email' | 'orgId'>> = {
  name: 'api_keys',
  fields: { id: 'id', name: 'text', preview: 'text', userId: 'id', serviceAccountId: 'id', createdAt: 'big', expiresAt: 'big', revokedAt: 'big', lastUsedAt: 'big', rpm: 'big', itpm: 'big', otpm: 'big' },
};

/** What a key's name and limits may be changed to. */
export type KeyPatch = { name?: string; rpm?: number | null; itpm?: number | null; otpm?: number | null };

export interface KeyFilter {
  email?: string;
  userId?: number;
  orgId?: number;
  includeServiceAccounts?: boolean;
  includeRevoked?: boolean;
}

export class TokenService {
  constructor(private readonly sql: Sql) {}

  /**
   * Runs `fn` in one transaction, with a TokenService whose statements are in it (its writes nest as
   * savepoints): a check and the writes it allows commit together or not at all.
   */
  transaction<T>(fn: (tokens: TokenService) => Promise<T>): Promise<T> {
    return this.sql.transaction((tx) => fn(new TokenService(tx)));
  }

  /** A write, with what it touched (for key caches) recorded in the same transaction. */
  private write<T>(fn: (tx: Sql) => Promise<T>, touched: (out: T) => AccessChange[]): Promise<T> {
    return this.sql.transaction(async (tx) => {
      const out = await fn(tx);
      await recordAccessChangesSql(tx, touched(out));
      return out;
    });
  }

  /**
   * Holds the user's row until this transaction ends (PostgreSQL; see db/row-lock.ts), so that a cap on
   * their keys, counted next, cannot be passed by a concurrent creation. Inside `transaction` only.
   */
  lockUser(userId: number): Promise<void> {
    return lockRow(this.sql, 'users', userId);
  }

  /**
   * Returns the id of the org with this name, creating it when missing. Concurrent creations of one name
   * (ON CONFLICT DO NOTHING) both end with the one org.
   */
  async ensureOrg(name: string = DEFAULT_ORG): Promise<number> {
    const find = () => this.sql.get<{ id: number }>('SELECT id FROM orgs WHERE name = ?', [name]);
    const found = await find();
    if (found) return found.id;
    const made = await this.write((tx) => tx.get<{ id: number }>('INSERT INTO orgs (name) VALUES (?) ON CONFLICT (name) DO NOTHING RETURNING id', [name]), () => []);
    return made?.id ?? (await find())!.id;
  }

  /** Returns the user with this email, creating it (in the default org) when missing. */
  async ensureUser(email: string, role: Role = 'user'): Promise<{ id: number; created: boolean }> {
    const find = () => this.sql.get<{ id: number }>('SELECT id FROM users WHERE email = ?', [email]);
    const found = await find();
    if (found) return { id: found.id, created: false };
    const orgId = await this.ensureOrg();
    const made = await this.write((tx) => tx.get<{ id: number }>('INSERT INTO users (email, org_id, role) VALUES (?, ?, ?) ON CONFLICT (email) DO NOTHING RETURNING id', [email, orgId, role]), () => []);
    // Nothing inserted: created meanwhile by someone else.
    return made ? { id: made.id, created: true } : { id: (await find())!.id, created: false };
  }

  async userCount(): Promise<number> {
    return (await this.sql.get<{ n: number }>(`SELECT ${this.sql.num('count(*)')} AS n FROM users`))!.n;
  }

  /** Creates a key; the raw key is returned once and never stored. */
  async createKey(userId: number, name = '', expiresAt: number | null = null, serviceAccountId: number | null = null): Promise<{ key: string; id: number; preview: string }> {
    const key = generateKey();
    const preview = keyPreview(key);
    const id = await this.write(
      async (tx) =>
        (await tx.get<{ id: number }>('INSERT INTO api_keys (key_hash, preview, name, user_id, expires_at, service_account_id) VALUES (?, ?, ?, ?, ?, ?) RETURNING id', [
          hashKey(key),
          preview,
          name,
          userId,
          expiresAt,
          serviceAccountId,
        ]))!.id,
      (id) => [{ kind: 'key', ref: id }],
    );
    return { key, id, preview };
  }

  /** Live personal keys of a user: neither revoked nor expired (the per-user cap counts these). */
  async personalKeyCount(userId: number, now = Date.now()): Promise<number> {
    const row = await this.sql.get<{ n: number }>(
      `SELECT ${this.sql.num('count(*)')} AS n FROM api_keys
        WHERE user_id = ? AND service_account_id IS NULL AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > ?)`,
      [userId, now],
    );
    return row!.n;
  }

  async listKeys(filter: KeyFilter = {}): Promise<KeyInfo[]> {
    const conds: string[] = [];
    const params: SqlValue[] = [];
    const where = (cond: string, ...values: SqlValue[]) => (conds.push(cond), params.push(...values));
    if (filter.email !== undefined) where('u.email = ?', filter.email);
    if (filter.userId !== undefined) where('k.user_id = ?', filter.userId);
    if (filter.orgId !== undefined) where('u.org_id = ?', filter.orgId);
    if (filter.includeServiceAccounts === false) where('k.service_account_id IS NULL');
    if (filter.includeRevoked === false) where('k.revoked_at IS NULL');
    return this.selectKeys(`${conds.length > 0 ? `WHERE ${conds.join(' AND ')}` : ''} ORDER BY k.id`, params);
  }

  async key(id: number): Promise<KeyInfo | undefined> {
    return (await this.selectKeys('WHERE k.id = ?', [id]))[0];
  }

  private async selectKeys(tail: string, params: SqlValue[]): Promise<KeyInfo[]> {
    const rows = await this.sql.rows(`SELECT ${columns(this.sql, KEYS, 'k')}, u.email AS email, u.org_id AS org_id FROM api_keys k INNER JOIN users u ON u.id = k.user_id ${tail}`, params);
    return rows.map((r) => ({ ...fromRow(KEYS, r), email: r.email as string, orgId: r.org_id as number }));
  }

  /** Renames a key or sets its limits; false when there is no such key. */
  async updateKey(id: number, patch: KeyPatch): Promise<boolean> {
    const { set, params } = assignments(KEYS, patch);
    if (set === '') return (await this.key(id)) !== undefined;
    return this.write(async (tx) => (await tx.run(`UPDATE api_keys SET ${set} WHERE id = ?`, [...params, id])) > 0, () => [{ kind: 'key', ref: id }]);
  }

  /** Revokes a key by id; false when there is no such live key. */
  revokeKey(id: number): Promise<boolean> {
    return this.write(async (tx) => (await tx.run('UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL', [Date.now(), id])) > 0, () => [{ kind: 'key', ref: id }]);
  }
}

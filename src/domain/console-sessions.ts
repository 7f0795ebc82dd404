/**
 * Console sessions: a server-side row per sign-in. The browser holds a random 256-bit token; the row is
 * keyed by its SHA-256, so the database alone cannot be replayed as a session. A session remembers the
 * key it was opened with, by id only: whoever checks a session must also check that key is still live.
 * A single sign-on session has no key (keyId null): it lasts as long as its user (deleting the user deletes
 * the row) and keeps the ID token for the provider's logout.
 *
 * The SQL runs on SQLite and PostgreSQL alike, through the async Sql port (src/db/sql.ts).
 */
import { randomBytes } from 'node:crypto';
import type { Sql } from '../db/sql';
import type { Principal } from './key-cache';

export interface ConsoleSession {
  /** null: opened by single sign-on. */
  keyId: number | null;
  userId: number;
  /** What every form must carry back (the CSRF token). */
  csrf: string;
  expiresAt: number;
  /** Single sign-on only: the ID token, the hint of the provider's logout. */
  idToken: string | null;
}

const sha256 = (token: string) => Bun.SHA256.hash(token, 'hex');

interface Row {
  key_id: number | null;
  user_id: number;
  csrf_secret: string;
  id_token: string | null;
  expires_at: number;
}

export class ConsoleSessions {
  constructor(
    private readonly sql: Sql,
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Opens a session; the token goes into the cookie and is never stored. */
  async open(keyId: number | null, userId: number, idToken: string | null = null): Promise<{ token: string; session: ConsoleSession }> {
    const token = randomBytes(32).toString('base64url');
    const t = this.now();
    const session = { keyId, userId, csrf: randomBytes(32).toString('base64url'), expiresAt: t + this.ttlMs, idToken };
    // Opening is rare: a good moment to forget the sessions that ran out.
    await this.prune();
    await this.sql.run(
      'INSERT INTO console_sessions (id, key_id, user_id, csrf_secret, id_token, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
      [sha256(token), keyId, userId, session.csrf, idToken, t, session.expiresAt],
    );
    return { token, session };
  }

  /** Deletes the sessions that ran out; how many. */
  prune(): Promise<number> {
    return this.sql.run('DELETE FROM console_sessions WHERE expires_at <= ?', [this.now()]);
  }

  /** The live session for a token, or undefined (unknown, or expired: then it is deleted). */
  async find(token: string): Promise<ConsoleSession | undefined> {
    const id = sha256(token);
    const n = (c: string) => `${this.sql.num(c)} AS ${c}`;
    const row = await this.sql.get<Row>(
      `SELECT key_id, user_id, csrf_secret, id_token, ${n('expires_at')} FROM console_sessions WHERE id = ?`,
      [id],
    );
    if (row === undefined) return undefined;
    if (row.expires_at <= this.now()) {
      await this.sql.run('DELETE FROM console_sessions WHERE id = ?', [id]);
      return undefined;
    }
    return { keyId: row.key_id, userId: row.user_id, csrf: row.csrf_secret, expiresAt: row.expires_at, idToken: row.id_token };
  }

  /**
   * Who a single sign-on session acts as: its user as they are now (role, org and email read live), with
   * no key — keyId 0 matches no key, and the limits are empty because a console session makes no model
   * calls. Undefined when the user is gone.
   */
  async userPrincipal(userId: number): Promise<Principal | undefined> {
    const u = await this.sql.get<{ id: number; email: string; role: Principal['role']; org_id: number }>(
      'SELECT id, email, role, org_id FROM users WHERE id = ?',
      [userId],
    );
    if (u === undefined) return undefined;
    // The terms versions the user accepted, so the console's terms banner and page treat them as a key would.
    const accepted = await this.sql.rows<{ version: string }>('SELECT version FROM tos_acceptances WHERE user_id = ?', [userId]);
    return {
      keyId: 0,
      keyName: '',
      keyPreview: '',
      userId: u.id,
      email: u.email,
      role: u.role,
      orgId: u.org_id,
      teamId: null,
      serviceAccountId: null,
      expiresAt: null,
      excludedModels: new Set(),
      excludedMcpServers: new Set(),
      limits: { rpm: null, itpm: null, otpm: null },
      pools: [],
      acceptedTerms: new Set(accepted.map((r) => r.version)),
    };
  }

  /** Signs out: the row is gone, the token worthless. */
  async close(token: string): Promise<void> {
    await this.sql.run('DELETE FROM console_sessions WHERE id = ?', [sha256(token)]);
  }
}

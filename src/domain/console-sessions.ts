/**
 * Console sessions: a server-side row per sign-in. The browser holds a random 256-bit token; the row is
 * keyed by its SHA-256, so the database alone cannot be replayed as a session. A session remembers the
 * key it was opened with, by id only: whoever checks a session must also check that key is still live.
 * A single sign-on session has no key (keyId null): it lasts as long as its user (deleting the user deletes
 * the row) and keeps the ID token for the provider's logout.
 */
import { randomBytes } from 'node:crypto';
import { eq, lte } from 'drizzle-orm';
import type { DbHandle } from '../db/connection';
import { consoleSessions, tosAcceptances, users } from '../db/schema';
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

export class ConsoleSessions {
  constructor(
    private readonly h: DbHandle,
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Opens a session; the token goes into the cookie and is never stored. */
  open(keyId: number | null, userId: number, idToken: string | null = null): { token: string; session: ConsoleSession } {
    const token = randomBytes(32).toString('base64url');
    const t = this.now();
    const session = { keyId, userId, csrf: randomBytes(32).toString('base64url'), expiresAt: t + this.ttlMs, idToken };
    // Opening is rare: a good moment to forget the sessions that ran out.
    this.h.db.delete(consoleSessions).where(lte(consoleSessions.expiresAt, t)).run();
    this.h.db.insert(consoleSessions).values({ id: sha256(token), keyId, userId, csrfSecret: session.csrf, idToken, createdAt: t, expiresAt: session.expiresAt }).run();
    return { token, session };
  }

  /** The live session for a token, or undefined (unknown, or expired: then it is deleted). */
  find(token: string): ConsoleSession | undefined {
    const id = sha256(token);
    const row = this.h.db.select().from(consoleSessions).where(eq(consoleSessions.id, id)).get();
    if (row === undefined) return undefined;
    if (row.expiresAt <= this.now()) {
      this.h.db.delete(consoleSessions).where(eq(consoleSessions.id, id)).run();
      return undefined;
    }
    return { keyId: row.keyId, userId: row.userId, csrf: row.csrfSecret, expiresAt: row.expiresAt, idToken: row.idToken };
  }

  /**
   * Who a single sign-on session acts as: its user as they are now (role, org and email read live), with
   * no key — keyId 0 matches no key, and the limits are empty because a console session makes no model
   * calls. Undefined when the user is gone.
   */
  userPrincipal(userId: number): Principal | undefined {
    const u = this.h.db.select({ id: users.id, email: users.email, role: users.role, orgId: users.orgId }).from(users).where(eq(users.id, userId)).get();
    if (u === undefined) return undefined;
    return {
      keyId: 0,
      keyName: '',
      keyPreview: '',
      userId: u.id,
      email: u.email,
      role: u.role,
      orgId: u.orgId,
      teamId: null,
      serviceAccountId: null,
      expiresAt: null,
      excludedModels: new Set(),
      excludedMcpServers: new Set(),
      limits: { rpm: null, itpm: null, otpm: null },
      pools: [],
      // The terms versions the user accepted, so the console's terms banner and page treat them as a key would.
      acceptedTerms: new Set(this.h.db.select({ version: tosAcceptances.version }).from(tosAcceptances).where(eq(tosAcceptances.userId, userId)).all().map((r) => r.version)),
    };
  }

  /** Signs out: the row is gone, the token worthless. */
  close(token: string): void {
    this.h.db.delete(consoleSessions).where(eq(consoleSessions.id, sha256(token))).run();
  }
}

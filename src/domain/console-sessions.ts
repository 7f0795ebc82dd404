/**
 * Console sessions: a server-side row per sign-in. The browser holds a random 256-bit token; the row is
 * keyed by its SHA-256, so the database alone cannot be replayed as a session. A session remembers the
 * key it was opened with, by id only: whoever checks a session must also check that key is still live.
 */
import { randomBytes } from 'node:crypto';
import { eq, lte } from 'drizzle-orm';
import type { DbHandle } from '../db/connection';
import { consoleSessions } from '../db/schema';

export interface ConsoleSession {
  keyId: number;
  userId: number;
  /** What every form must carry back (the CSRF token). */
  csrf: string;
  expiresAt: number;
}

const sha256 = (token: string) => Bun.SHA256.hash(token, 'hex');

export class ConsoleSessions {
  constructor(
    private readonly h: DbHandle,
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Opens a session; the token goes into the cookie and is never stored. */
  open(keyId: number, userId: number): { token: string; session: ConsoleSession } {
    const token = randomBytes(32).toString('base64url');
    const t = this.now();
    const session = { keyId, userId, csrf: randomBytes(32).toString('base64url'), expiresAt: t + this.ttlMs };
    // Opening is rare: a good moment to forget the sessions that ran out.
    this.h.db.delete(consoleSessions).where(lte(consoleSessions.expiresAt, t)).run();
    this.h.db.insert(consoleSessions).values({ id: sha256(token), keyId, userId, csrfSecret: session.csrf, createdAt: t, expiresAt: session.expiresAt }).run();
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
    return { keyId: row.keyId, userId: row.userId, csrf: row.csrfSecret, expiresAt: row.expiresAt };
  }

  /** Signs out: the row is gone, the token worthless. */
  close(token: string): void {
    this.h.db.delete(consoleSessions).where(eq(consoleSessions.id, sha256(token))).run();
  }
}

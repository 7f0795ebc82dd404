/**
 * Single sign-on logins under way, kept server-side: state, nonce, PKCE verifier and where to go after.
 * The browser holds only a random id (in an HttpOnly cookie); the row is keyed by its SHA-256, used once
 * (taken = deleted), and good for a few minutes.
 */
import { randomBytes } from 'node:crypto';
import { eq, lte } from 'drizzle-orm';
import type { DbHandle } from '../db/connection';
import { oidcLogins } from '../db/schema';

export interface PendingLogin {
  state: string;
  nonce: string;
  codeVerifier: string;
  returnTo: string;
}

const sha256 = (id: string) => Bun.SHA256.hash(id, 'hex');

export class OidcLogins {
  constructor(
    private readonly h: DbHandle,
    readonly ttlMs = 10 * 60_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** Keeps a login; returns the id for the cookie. */
  begin(login: PendingLogin): string {
    const id = randomBytes(32).toString('base64url');
    const t = this.now();
    this.h.db.delete(oidcLogins).where(lte(oidcLogins.expiresAt, t)).run();
    this.h.db.insert(oidcLogins).values({ id: sha256(id), ...login, expiresAt: t + this.ttlMs }).run();
    return id;
  }

  /** The login for a cookie's id, removed as it is read (one use), or undefined (unknown or expired). */
  take(id: string): PendingLogin | undefined {
    const row = this.h.db.delete(oidcLogins).where(eq(oidcLogins.id, sha256(id))).returning().get();
    if (row === undefined || row.expiresAt <= this.now()) return undefined;
    return { state: row.state, nonce: row.nonce, codeVerifier: row.codeVerifier, returnTo: row.returnTo };
  }
}

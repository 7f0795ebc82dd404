/**
 * Single sign-on logins under way, kept server-side: state, nonce, PKCE verifier and where to go after.
 * The browser holds only a random id (in an HttpOnly cookie); the row is keyed by its SHA-256, used once
 * (taken = deleted), and good for a few minutes.
 *
 * The SQL runs on SQLite and PostgreSQL alike, through the async Sql port (src/db/sql.ts).
 */
import { randomBytes } from 'node:crypto';
import type { Sql } from '../db/sql';

export interface PendingLogin {
  state: string;
  nonce: string;
  codeVerifier: string;
  returnTo: string;
}

const sha256 = (id: string) => Bun.SHA256.hash(id, 'hex');

interface Row {
  state: string;
  nonce: string;
  code_verifier: string;
  return_to: string;
  expires_at: number;
}

export class OidcLogins {
  constructor(
    private readonly sql: Sql,
    readonly ttlMs = 10 * 60_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** Keeps a login; returns the id for the cookie. */
  async begin(login: PendingLogin): Promise<string> {
    const id = randomBytes(32).toString('base64url');
    const t = this.now();
    await this.prune();
    await this.sql.run('INSERT INTO oidc_logins (id, state, nonce, code_verifier, return_to, expires_at) VALUES (?, ?, ?, ?, ?, ?)', [
      sha256(id),
      login.state,
      login.nonce,
      login.codeVerifier,
      login.returnTo,
      t + this.ttlMs,
    ]);
    return id;
  }

  /** Deletes the logins that ran out; how many. */
  prune(): Promise<number> {
    return this.sql.run('DELETE FROM oidc_logins WHERE expires_at <= ?', [this.now()]);
  }

  /** The login for a cookie's id, removed as it is read (one use), or undefined (unknown or expired). */
  async take(id: string): Promise<PendingLogin | undefined> {
    // One statement: two callbacks racing with the same cookie (on one node or two) cannot both get the row.
    const row = await this.sql.get<Row>(
      `DELETE FROM oidc_logins WHERE id = ? RETURNING state, nonce, code_verifier, return_to, ${this.sql.num('expires_at')} AS expires_at`,
      [sha256(id)],
    );
    if (row === undefined || row.expires_at <= this.now()) return undefined;
    return { state: row.state, nonce: row.nonce, codeVerifier: row.code_verifier, returnTo: row.return_to };
  }
}

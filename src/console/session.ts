/**
 * Who is signed in: the session cookie → the session row → the key it was opened with, looked up live in
 * the key cache (a revoked or expired key ends the session on its next request), or, for a single sign-on
 * session, its user read live. And the CSRF rules every
 * state change passes: a same-origin request (Origin / Sec-Fetch-Site, when the browser sends them) that
 * carries the session's own token.
 */
import { timingSafeEqual } from 'node:crypto';
import type { ConsoleSession, ConsoleSessions } from '../domain/console-sessions';
import type { KeyCache, Principal } from '../domain/key-cache';
import { termsAccepted, type TermsSource } from '../domain/terms';

export const COOKIE = 'aq_console';
/** The hidden form field that carries the CSRF token. */
export const CSRF_FIELD = '_csrf';

export interface SignedIn {
  token: string;
  session: ConsoleSession;
  principal: Principal;
  /** Set when the gateway has terms of service: whether this person still has to accept the version in force. */
  terms?: { pending: boolean };
}

export function cookieValue(request: Request, name: string): string | undefined {
  const header = request.headers.get('cookie');
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** Why there is no one signed in: no session at all, or one that just ended (shown on the sign-in page). */
export type SignInState = { signedIn: SignedIn } | { ended?: 'expired' | 'key_gone' };

export async function currentSession(request: Request, sessions: ConsoleSessions, keys: KeyCache, terms?: TermsSource): Promise<SignInState> {
  const token = cookieValue(request, COOKIE);
  if (token === undefined || token === '') return {};
  const session = await sessions.find(token);
  if (session === undefined) return { ended: 'expired' };
  // A single sign-on session has no key: it acts as its user, read live.
  // A key's session: as the key cache has it once this process's own changes are applied (a key just revoked here).
  const principal = session.keyId === null ? await sessions.userPrincipal(session.userId) : (await keys.settled(), keys.byKeyId(session.keyId));
  if (principal === undefined || principal.userId !== session.userId) {
    await sessions.close(token);
    return { ended: 'key_gone' };
  }
  return { signedIn: { token, session, principal, ...(terms ? { terms: { pending: !termsAccepted(principal, terms) } } : {}) } };
}

/** Secure when the browser reached us over https, directly or through the configured public https URL. */
export function sessionCookie(request: Request, publicUrl: string | undefined, token: string, maxAgeMs: number): string {
  const secure = new URL(request.url).protocol === 'https:' || publicUrl?.startsWith('https:') === true;
  return `${COOKIE}=${token}; Path=/ui; HttpOnly; SameSite=Lax; Max-Age=${Math.floor(maxAgeMs / 1000)}${secure ? '; Secure' : ''}`;
}

export const clearedCookie = () => `${COOKIE}=; Path=/ui; HttpOnly; SameSite=Lax; Max-Age=0`;

/**
 * A request another site could have made the browser send: a foreign Origin, or Sec-Fetch-Site other
 * than same-origin. Browsers send at least one on every POST; clients that send neither are still held to
 * the CSRF token.
 */
export function crossSite(request: Request, publicUrl: string | undefined): boolean {
  const site = request.headers.get('sec-fetch-site');
  if (site !== null && site !== 'same-origin') return true;
  const origin = request.headers.get('origin');
  if (origin === null) return false;
  // Behind a TLS-terminating proxy the request URL is http:// while the browser's origin is the public one.
  return origin !== new URL(request.url).origin && (publicUrl === undefined || origin !== new URL(publicUrl).origin);
}

export function csrfMatches(session: ConsoleSession, sent: unknown): boolean {
  if (typeof sent !== 'string') return false;
  const a = Buffer.from(sent);
  const b = Buffer.from(session.csrf);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * Single sign-on in the console: /ui/auth/login sends the browser to the provider, /ui/auth/callback
 * brings it back and opens a console session like the key sign-in does. The login's state, nonce and
 * PKCE verifier are kept server-side (domain/oidc-logins.ts); the browser holds only a random id in an
 * HttpOnly cookie scoped to /ui/auth. Every failure ends on a page that says what happened, with a link
 * back to sign in; the user and team writes happen in one transaction after every check
 * (domain/oidc-accounts.ts).
 */
import { Elysia } from 'elysia';
import type { OidcConfig } from '../config/oidc';
import { signInFromProvider } from '../domain/oidc-accounts';
import { OidcLogins } from '../domain/oidc-logins';
import { groupsFromClaim, mapIdentity } from '../domain/oidc-mapping';
import { termsAccepted } from '../domain/terms';
import type { ConsoleContext } from './guard';
import { OidcClient, ProviderError } from '../http/oidc-client';
import { signInProblemPage } from './pages/sign-in';
import { page } from './respond';
import { cookieValue, sessionCookie } from './session';

const LOGIN_COOKIE = 'aq_oidc';

function loginCookie(publicUrl: string, id: string, maxAgeMs: number): string {
  return `${LOGIN_COOKIE}=${id}; Path=/ui/auth; HttpOnly; SameSite=Lax; Max-Age=${Math.floor(maxAgeMs / 1000)}${publicUrl.startsWith('https:') ? '; Secure' : ''}`;
}
const clearedLoginCookie = () => `${LOGIN_COOKIE}=; Path=/ui/auth; HttpOnly; SameSite=Lax; Max-Age=0`;

/** Only a console path of ours is a place to return to (never another host, never `//host`). */
const safeReturn = (next: unknown) => (typeof next === 'string' && /^\/ui\/[A-Za-z0-9/_?=&.-]*$/.test(next) && !next.startsWith('//') ? next : '/ui/keys');

/** A redirect that may set more than one cookie. */
function go(location: string, cookies: string[]): Response {
  const res = new Response(null, { status: 303, headers: { location, 'cache-control': 'no-store', 'referrer-policy': 'same-origin' } });
  for (const c of cookies) res.headers.append('set-cookie', c);
  return res;
}

function problem(title: string, message: string, status: number): Response {
  return page(signInProblemPage(title, message), status, { 'set-cookie': clearedLoginCookie() });
}

const REFUSED: Record<string, [string, string, number]> = {
  no_email: ['Sign-in refused', 'Your account at the sign-in provider has no email address, and the console needs one. Ask your administrator.', 403],
  email_unverified: ['Sign-in refused', 'The sign-in provider says your email address is not verified. Verify it there, then sign in again.', 403],
  email_domain: ['Sign-in refused', 'Accounts with this email domain may not sign in to this gateway. Ask your administrator.', 403],
  no_org: ['Sign-in refused', 'Your account is in no group that belongs to an organisation on this gateway, so you cannot sign in. Ask your administrator to add you to one.', 403],
  email_taken: ['Sign-in refused', 'Another account on this gateway already has your email address. Ask your administrator.', 409],
};

const unreachablePage = (name: string) =>
  problem('Sign-in provider unreachable', `${name} could not be reached, so you cannot sign in with it right now. Try again in a moment, or sign in with an API key.`, 502);

export function authRoutes(ctx: ConsoleContext, cfg: OidcConfig, client: OidcClient) {
  const { deps } = ctx;
  const logins = new OidcLogins(deps.db.sql);
  const failed = (err: unknown, step: string): Response => {
    deps.log.warn(`single sign-on: ${step}: ${err instanceof Error ? err.message : String(err)}`);
    if (err instanceof ProviderError && err.kind === 'unreachable') return unreachablePage(cfg.providerName);
    return problem('Sign-in failed', `The answer from ${cfg.providerName} could not be verified, so you are not signed in. Please start again.`, 502);
  };

  return new Elysia()
    .get('/ui/auth/login', async ({ query }) => {
      let started;
      try {
        started = await client.start(safeReturn(query.next));
      } catch (err) {
        return failed(err, 'login');
      }
      const id = await logins.begin(started.pending);
      return go(started.url.href, [loginCookie(deps.settings.publicUrl!, id, logins.ttlMs)]);
    })
    .get('/ui/auth/callback', async ({ request }) => {
      const url = new URL(request.url);
      const id = cookieValue(request, LOGIN_COOKIE);
      const pending = id === undefined || id === '' ? undefined : await logins.take(id);
      const error = url.searchParams.get('error');
      if (error !== null) {
        deps.log.info(`single sign-on: the provider answered ${error}: ${url.searchParams.get('error_description') ?? ''}`);
        return error === 'access_denied'
          ? problem('Sign-in cancelled', `${cfg.providerName} did not sign you in: access was denied or the consent was not given. You are not signed in.`, 403)
          : problem('Sign-in failed', `${cfg.providerName} could not sign you in (it answered "${error}"). You are not signed in.`, 502);
      }
      if (pending === undefined) {
        return problem('Sign-in expired', 'This sign-in was not started in this browser, was already used, or took too long. Please start again.', 400);
      }
      if (url.searchParams.get('state') !== pending.state) {
        deps.log.warn('single sign-on: the callback state does not match the login started in this browser');
        return problem('Sign-in could not be verified', 'The answer from the sign-in provider does not belong to the sign-in started in this browser, so it was refused. Please start again.', 400);
      }
      let claims;
      try {
        claims = await client.finish(url.search, pending);
      } catch (err) {
        return failed(err, 'callback');
      }
      const mapping = mapIdentity(
        { org: cfg.org, adminGroups: cfg.adminGroups, teamPattern: cfg.teamPattern, allowedEmailDomains: cfg.allowedEmailDomains },
        { email: claims.email, emailVerified: claims.emailVerified, groups: groupsFromClaim(claims.groups) },
      );
      if (!mapping.ok) {
        deps.log.info(`single sign-on refused for ${claims.subject} (${claims.email ?? 'no email'}): ${mapping.reason}`);
        const [title, message, status] = REFUSED[mapping.reason]!;
        return problem(title, message, status);
      }
      const outcome = await signInFromProvider(deps.db.sql, {
        issuer: claims.issuer,
        subject: claims.subject,
        email: mapping.email,
        org: mapping.org,
        admin: mapping.admin,
        teams: mapping.teams,
        createTeams: cfg.createTeams,
      });
      if (!outcome.ok) {
        deps.log.info(`single sign-on refused for ${claims.subject} (${mapping.email}): ${outcome.reason}`);
        const [title, message, status] = REFUSED[outcome.reason]!;
        return problem(title, message, status);
      }
      deps.keys.refresh();
      if (outcome.created || outcome.joined.length + outcome.left.length + outcome.skipped.length > 0) {
        deps.log.info(
          `single sign-on: ${mapping.email}${outcome.created ? ' (new user)' : ''} role ${outcome.role}` +
            `${outcome.joined.length ? `; joined ${outcome.joined.join(', ')}` : ''}${outcome.left.length ? `; left ${outcome.left.join(', ')}` : ''}` +
            `${outcome.skipped.length ? `; not joined (a team made by hand has the name, or team creation is off): ${outcome.skipped.join(', ')}` : ''}`,
        );
      }
      const { token } = await ctx.sessions.open(null, outcome.userId, claims.idToken);
      // Terms of service not accepted yet: straight to them, as after a key sign-in.
      const who = await ctx.sessions.userPrincipal(outcome.userId);
      const next = who !== undefined && !termsAccepted(who, deps.terms) ? '/ui/terms' : pending.returnTo;
      return go(next, [sessionCookie(request, deps.settings.publicUrl, token, deps.settings.consoleSessionTtl), clearedLoginCookie()]);
    });
}

/**
 * Single sign-on, the protocol part, all of it done by `openid-client` (no hand-written token checks):
 * discovery, the authorization-code flow with PKCE, state and nonce, the ID token's validation (issuer,
 * audience, expiry, signature by the provider's JWKS, which the library re-fetches when keys rotate),
 * userinfo when the ID token lacks the groups or the email, and the provider's logout URL.
 *
 * Plain http is allowed only for an issuer on 127.0.0.1 or localhost (config/oidc.ts `allowHttp`): that is
 * the local test provider; anything else must be https.
 */
import * as oidc from 'openid-client';
import type { OidcConfig } from '../config/oidc';
import type { PendingLogin } from '../domain/oidc-logins';

/** What the provider said about the person, after every check passed. */
export interface ProviderClaims {
  issuer: string;
  subject: string;
  email: string | undefined;
  emailVerified: boolean | undefined;
  /** The groups claim's raw value (from the ID token, else userinfo). */
  groups: unknown;
  idToken: string;
}

/** Why the exchange with the provider failed: it could not be reached, or it answered something we refuse. */
export class ProviderError extends Error {
  constructor(
    readonly kind: 'unreachable' | 'rejected',
    message: string,
    override readonly cause?: unknown,
  ) {
    super(message);
  }
}

/** Seconds any one request to the provider may take. */
const TIMEOUT_S = 10;

function unreachable(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (e.name === 'AbortError' || e.name === 'TimeoutError' || (e.name === 'TypeError' && /fetch|connect|network|socket/i.test(e.message))) return true;
    if (typeof code === 'string' && /^(ECONNREFUSED|ECONNRESET|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|ConnectionRefused|ConnectionClosed|FailedToOpenSocket)$/.test(code)) return true;
  }
  return false;
}

const wrap = (what: string, err: unknown) =>
  err instanceof ProviderError ? err : new ProviderError(unreachable(err) ? 'unreachable' : 'rejected', `${what}: ${err instanceof Error ? err.message : String(err)}`, err);

export class OidcClient {
  private discovered: Promise<oidc.Configuration> | undefined;

  constructor(readonly cfg: OidcConfig) {}

  /** The provider's configuration, discovered once; a failure is not kept (the next sign-in asks again). */
  configuration(): Promise<oidc.Configuration> {
    if (this.discovered === undefined) {
      const auth = this.cfg.clientSecret === undefined ? oidc.None() : oidc.ClientSecretBasic(this.cfg.clientSecret);
      this.discovered = oidc
        .discovery(this.cfg.issuer, this.cfg.clientId, undefined, auth, {
          timeout: TIMEOUT_S,
          execute: this.cfg.allowHttp ? [oidc.allowInsecureRequests] : [],
        })
        .catch((err: unknown) => {
          this.discovered = undefined;
          throw wrap(`discovery of ${this.cfg.issuer.href} failed`, err);
        });
    }
    return this.discovered;
  }

  /** A new login: the provider's authorization URL and what must be kept server-side until the callback. */
  async start(returnTo: string): Promise<{ url: URL; pending: PendingLogin }> {
    const config = await this.configuration();
    const codeVerifier = oidc.randomPKCECodeVerifier();
    const pending = { state: oidc.randomState(), nonce: oidc.randomNonce(), codeVerifier, returnTo };
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: this.cfg.redirectUri,
      scope: this.cfg.scopes,
      code_challenge: await oidc.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: 'S256',
      state: pending.state,
      nonce: pending.nonce,
    });
    return { url, pending };
  }

  /** The callback: code for tokens (every check done by the library), then userinfo when claims are missing. */
  async finish(search: string, pending: PendingLogin): Promise<ProviderClaims> {
    const config = await this.configuration();
    // The URL the provider sent the browser to, as registered (behind a proxy the request's own URL differs).
    const current = new URL(this.cfg.redirectUri);
    current.search = search;
    let tokens;
    try {
      tokens = await oidc.authorizationCodeGrant(config, current, {
        pkceCodeVerifier: pending.codeVerifier,
        expectedState: pending.state,
        expectedNonce: pending.nonce,
        idTokenExpected: true,
      });
    } catch (err) {
      throw wrap('the code exchange failed', err);
    }
    const claims = tokens.claims()!;
    let email = typeof claims.email === 'string' ? claims.email : undefined;
    let emailVerified = typeof claims.email_verified === 'boolean' ? claims.email_verified : undefined;
    let groups: unknown = claims[this.cfg.groupsClaim];
    if ((groups === undefined || email === undefined) && config.serverMetadata().userinfo_endpoint !== undefined) {
      let info;
      try {
        info = await oidc.fetchUserInfo(config, tokens.access_token, claims.sub);
      } catch (err) {
        throw wrap('the userinfo request failed', err);
      }
      groups ??= info[this.cfg.groupsClaim];
      if (email === undefined && typeof info.email === 'string') {
        email = info.email;
        emailVerified = typeof info.email_verified === 'boolean' ? info.email_verified : undefined;
      }
    }
    return { issuer: claims.iss, subject: claims.sub, email, emailVerified, groups, idToken: tokens.id_token! };
  }

  /** Where to send the browser to sign out at the provider too, or undefined when it offers no such thing. */
  async endSessionUrl(idToken: string): Promise<URL | undefined> {
    let config;
    try {
      config = await this.configuration();
    } catch {
      return undefined; // unreachable now: the local sign-out still happens
    }
    if (config.serverMetadata().end_session_endpoint === undefined) return undefined;
    return oidc.buildEndSessionUrl(config, { id_token_hint: idToken, post_logout_redirect_uri: this.cfg.postLogoutRedirectUri });
  }
}

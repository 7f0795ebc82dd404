/**
 * The single sign-on settings as one checked value: undefined when no issuer is set (no single sign-on),
 * else every rule compiled (the org and team regular expressions, the redirect URI). Every problem is
 * collected, so check-config and serve name them all at once. Whether the issuer answers is a network
 * question: check-config asks it (http/oidc-client.ts), serve does not wait for it.
 */
import type { Settings } from './settings';

/** How a new user's org is found: a fixed name, or the first group a pattern matches (capture group 1). */
export type OrgRule = { name: string } | { pattern: RegExp };

export interface OidcConfig {
  issuer: URL;
  clientId: string;
  clientSecret: string | undefined;
  /** Shown on the sign-in button. */
  providerName: string;
  scopes: string;
  groupsClaim: string;
  redirectUri: string;
  /** Where the provider sends the browser back after an RP-initiated logout. */
  postLogoutRedirectUri: string;
  /** Plain http is allowed only for an issuer on this machine (a local test provider). */
  allowHttp: boolean;
  org: OrgRule | undefined;
  adminGroups: string[];
  teamPattern: RegExp | undefined;
  createTeams: boolean;
  allowedEmailDomains: string[];
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);
export const isLoopback = (url: URL) => LOOPBACK.has(url.hostname);

/** Capture groups of a pattern (an alternation with the empty string always matches, showing them all). */
const captureGroups = (re: RegExp) => new RegExp(`${re.source}|`).exec('')!.length - 1;

function compile(source: string, what: string, problems: string[]): RegExp | undefined {
  let re: RegExp;
  try {
    re = new RegExp(source);
  } catch (err) {
    problems.push(`${what}=${JSON.stringify(source)}: not a valid regular expression (${(err as Error).message})`);
    return undefined;
  }
  const n = captureGroups(re);
  if (n !== 1) {
    problems.push(`${what}=${JSON.stringify(source)}: needs exactly one capture group, has ${n}`);
    return undefined;
  }
  return re;
}

/** Characters that make an org setting a regular expression rather than a plain name. */
const REGEX_CHARS = /[\\^$*+?()[\]{}|]/;

export function parseOidcConfig(s: Settings): { oidc: OidcConfig | undefined; problems: string[] } {
  const problems: string[] = [];
  if (s.oidcIssuer === undefined || s.oidcIssuer === '') {
    const stray = (['oidcClientId', 'oidcClientSecret', 'oidcOrg', 'oidcTeamGroups'] as const).filter((k) => s[k] !== undefined);
    if (stray.length > 0) problems.push(`AQUEDUCT_OIDC_ISSUER is not set, but other single sign-on settings are (${stray.join(', ')}): set the issuer or remove them`);
    return { oidc: undefined, problems };
  }
  let issuer: URL | undefined;
  try {
    issuer = new URL(s.oidcIssuer);
  } catch {
    problems.push(`AQUEDUCT_OIDC_ISSUER=${JSON.stringify(s.oidcIssuer)}: expected an absolute https URL`);
  }
  if (issuer !== undefined) {
    if (issuer.protocol !== 'https:' && !(issuer.protocol === 'http:' && isLoopback(issuer))) {
      problems.push(`AQUEDUCT_OIDC_ISSUER=${JSON.stringify(s.oidcIssuer)}: must be https (plain http only for a provider on 127.0.0.1 or localhost)`);
    }
    if (issuer.search !== '' || issuer.hash !== '') problems.push(`AQUEDUCT_OIDC_ISSUER=${JSON.stringify(s.oidcIssuer)}: must not have a query or fragment`);
  }
  if (s.oidcClientId === undefined || s.oidcClientId.trim() === '') problems.push('AQUEDUCT_OIDC_CLIENT_ID is required for single sign-on');
  let publicUrl: URL | undefined;
  if (s.publicUrl === undefined) {
    problems.push('AQUEDUCT_PUBLIC_URL is required for single sign-on: the redirect URI is <public url>/ui/auth/callback');
  } else {
    publicUrl = new URL(s.publicUrl);
    if (publicUrl.search !== '' || publicUrl.hash !== '') {
      problems.push(`AQUEDUCT_PUBLIC_URL=${JSON.stringify(s.publicUrl)}: must be an absolute http(s) URL without query or fragment for single sign-on`);
      publicUrl = undefined;
    }
  }
  if (!s.oidcScopes.split(' ').includes('openid')) problems.push(`AQUEDUCT_OIDC_SCOPES=${JSON.stringify(s.oidcScopes)}: must include openid`);
  let org: OrgRule | undefined;
  if (s.oidcOrg === undefined || s.oidcOrg.trim() === '') {
    problems.push('AQUEDUCT_OIDC_ORG is not set: every single sign-on would be refused (set an org name, or a pattern with one capture group over the groups)');
  } else if (REGEX_CHARS.test(s.oidcOrg)) {
    const re = compile(s.oidcOrg, 'AQUEDUCT_OIDC_ORG', problems);
    if (re) org = { pattern: re };
  } else {
    org = { name: s.oidcOrg.trim() };
  }
  const teamPattern = s.oidcTeamGroups === undefined || s.oidcTeamGroups === '' ? undefined : compile(s.oidcTeamGroups, 'AQUEDUCT_OIDC_TEAM_GROUPS', problems);
  if (problems.length > 0 || issuer === undefined || publicUrl === undefined) return { oidc: undefined, problems };
  const base = publicUrl.href.replace(/\/+$/, '');
  return {
    oidc: {
      issuer,
      clientId: s.oidcClientId!.trim(),
      clientSecret: s.oidcClientSecret === '' ? undefined : s.oidcClientSecret,
      providerName: s.oidcProviderName ?? issuer.hostname,
      scopes: s.oidcScopes,
      groupsClaim: s.oidcGroupsClaim,
      redirectUri: `${base}/ui/auth/callback`,
      postLogoutRedirectUri: `${base}/ui/sign-in`,
      allowHttp: issuer.protocol === 'http:' && isLoopback(issuer),
      org,
      adminGroups: s.oidcAdminGroups,
      teamPattern,
      createTeams: s.oidcCreateTeams,
      allowedEmailDomains: s.oidcAllowedEmailDomains,
    },
    problems,
  };
}

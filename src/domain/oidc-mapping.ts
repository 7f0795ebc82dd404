/**
 * Single sign-on, the rules part (no I/O): from what the provider says about a person (email, groups)
 * to what the gateway makes of them — may they sign in at all (email domain), their org, whether they
 * are an admin, and which teams their groups stand for. The account writes are in oidc-accounts.ts; the
 * protocol (redirects, tokens) is the console's (http/oidc-client.ts).
 */
import type { OrgRule } from '../config/oidc';

export interface GroupRules {
  /** Undefined: no org can be found, so every sign-in is refused. */
  org: OrgRule | undefined;
  /** Empty: roles are left as they are. */
  adminGroups: readonly string[];
  /** Undefined: no team sync. */
  teamPattern: RegExp | undefined;
  /** Empty: any email domain. */
  allowedEmailDomains: readonly string[];
}

export interface ProviderIdentity {
  email: string | undefined;
  /** The provider's `email_verified`; only an explicit false refuses (some providers never send it). */
  emailVerified: boolean | undefined;
  groups: readonly string[];
}

/** A team a group stands for: the team's name (capture group 1) and the group it came from. */
export interface GroupTeam {
  name: string;
  group: string;
}

export type Mapping =
  | {
      ok: true;
      email: string;
      org: string;
      /** true: admin; false: not (an admin is demoted); undefined: no admin groups set, roles untouched. */
      admin: boolean | undefined;
      /** undefined: no team sync configured. */
      teams: GroupTeam[] | undefined;
    }
  | { ok: false; reason: 'no_email' | 'email_unverified' | 'email_domain' | 'no_org' };

/** Longest team or org name a group may produce (a longer capture is ignored). */
const MAX_NAME = 100;

/** The groups claim as a list of strings: an array (non-strings dropped), a single string, or nothing. */
export function groupsFromClaim(value: unknown): string[] {
  if (typeof value === 'string') return value === '' ? [] : [value];
  if (Array.isArray(value)) return value.filter((g): g is string => typeof g === 'string' && g !== '');
  return [];
}

/** Capture group 1 of `pattern` on `group`, trimmed, or undefined (no match, empty, too long). */
function captured(pattern: RegExp, group: string): string | undefined {
  // A fresh RegExp per test: a /g or /y pattern would carry lastIndex from one group to the next.
  const m = new RegExp(pattern.source, pattern.flags.replace(/[gy]/g, '')).exec(group);
  const name = m?.[1]?.trim();
  return name === undefined || name === '' || name.length > MAX_NAME ? undefined : name;
}

export function orgFor(rule: OrgRule | undefined, groups: readonly string[]): string | undefined {
  if (rule === undefined) return undefined;
  if ('name' in rule) return rule.name;
  for (const g of groups) {
    const name = captured(rule.pattern, g);
    if (name !== undefined) return name;
  }
  return undefined;
}

/** The teams the groups stand for, one per team name (the first group naming a team wins). */
export function teamsFor(pattern: RegExp, groups: readonly string[]): GroupTeam[] {
  const out = new Map<string, GroupTeam>();
  for (const group of groups) {
    const name = captured(pattern, group);
    if (name !== undefined && !out.has(name)) out.set(name, { name, group });
  }
  return [...out.values()];
}

export function emailDomainAllowed(email: string, allowed: readonly string[]): boolean {
  if (allowed.length === 0) return true;
  const at = email.lastIndexOf('@');
  return at > 0 && allowed.includes(email.slice(at + 1).toLowerCase());
}

export function mapIdentity(rules: GroupRules, who: ProviderIdentity): Mapping {
  const email = who.email?.trim();
  if (email === undefined || email === '' || !email.includes('@')) return { ok: false, reason: 'no_email' };
  if (who.emailVerified === false) return { ok: false, reason: 'email_unverified' };
  if (!emailDomainAllowed(email, rules.allowedEmailDomains)) return { ok: false, reason: 'email_domain' };
  const org = orgFor(rules.org, who.groups);
  if (org === undefined) return { ok: false, reason: 'no_org' };
  return {
    ok: true,
    email,
    org,
    admin: rules.adminGroups.length === 0 ? undefined : who.groups.some((g) => rules.adminGroups.includes(g)),
    teams: rules.teamPattern === undefined ? undefined : teamsFor(rules.teamPattern, who.groups),
  };
}

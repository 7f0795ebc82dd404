/** The single sign-on rules (no I/O): who may sign in, into which org, as admin or not, in which teams. */
import { describe, expect, test } from 'bun:test';
import { parseOidcConfig } from '../../src/config/oidc';
import { resolveSettings } from '../../src/config/settings';
import { groupsFromClaim, mapIdentity, orgFor, teamsFor, type GroupRules } from '../../src/domain/oidc-mapping';

const rules = (over: Partial<GroupRules> = {}): GroupRules => ({
  org: { pattern: /^org-(.+)$/ },
  adminGroups: ['gateway-admins'],
  teamPattern: /^team-(.+)$/,
  allowedEmailDomains: [],
  ...over,
});
const who = (groups: string[], email: string | undefined = 'ada@example.org', emailVerified?: boolean) => ({ email, emailVerified, groups });

describe('org', () => {
  test('a fixed name is every user’s org, whatever the groups', () => {
    expect(orgFor({ name: 'Research' }, [])).toBe('Research');
  });
  test('a pattern: the first group that matches names the org (capture group 1)', () => {
    expect(orgFor({ pattern: /^org-(.+)$/ }, ['staff', 'org-physics', 'org-chemistry'])).toBe('physics');
  });
  test('no matching group, an empty capture, or no rule: no org, and sign-in is refused', () => {
    expect(orgFor({ pattern: /^org-(.*)$/ }, ['staff', 'org-'])).toBeUndefined();
    expect(orgFor(undefined, ['org-physics'])).toBeUndefined();
    expect(mapIdentity(rules(), who(['staff']))).toEqual({ ok: false, reason: 'no_org' });
  });
  test('a /g pattern gives the same answer for every group (no lastIndex carried over)', () => {
    expect(orgFor({ pattern: /^org-(.+)$/g }, ['org-a', 'org-b'])).toBe('a');
    expect(teamsFor(/^team-(.+)$/g, ['team-x', 'team-y']).map((t) => t.name)).toEqual(['x', 'y']);
  });
});

describe('admin', () => {
  test('a member of an admin group is an admin; anyone else is not (so an admin who left is demoted)', () => {
    const admin = mapIdentity(rules(), who(['org-a', 'gateway-admins']));
    const user = mapIdentity(rules(), who(['org-a']));
    expect(admin.ok && admin.admin).toBe(true);
    expect(user.ok && user.admin).toBe(false);
  });
  test('no admin groups set: roles are left alone (undefined, not false)', () => {
    const m = mapIdentity(rules({ adminGroups: [] }), who(['org-a', 'gateway-admins']));
    expect(m.ok && m.admin).toBeUndefined();
  });
});

describe('teams', () => {
  test('each matching group stands for a team named by its capture; the first group naming a team wins', () => {
    expect(teamsFor(/^team-(.+?)(?:-eu|-us)?$/, ['org-a', 'team-ml-eu', 'team-ml-us', 'team-web'])).toEqual([
      { name: 'ml', group: 'team-ml-eu' },
      { name: 'web', group: 'team-web' },
    ]);
  });
  test('no team pattern: no team sync at all (undefined, so nothing is removed either)', () => {
    const m = mapIdentity(rules({ teamPattern: undefined }), who(['org-a', 'team-x']));
    expect(m.ok && m.teams).toBeUndefined();
  });
  test('a pattern but no matching group: an empty list (group-made memberships go)', () => {
    const m = mapIdentity(rules(), who(['org-a']));
    expect(m.ok && m.teams).toEqual([]);
  });
});

describe('email', () => {
  test('no email, or one the provider says is unverified, is refused', () => {
    expect(mapIdentity(rules(), { email: undefined, emailVerified: undefined, groups: ['org-a'] })).toEqual({ ok: false, reason: 'no_email' });
    expect(mapIdentity(rules(), who(['org-a'], 'not-an-email'))).toEqual({ ok: false, reason: 'no_email' });
    expect(mapIdentity(rules(), who(['org-a'], 'ada@example.org', false))).toEqual({ ok: false, reason: 'email_unverified' });
    expect(mapIdentity(rules(), who(['org-a'], 'ada@example.org', true)).ok).toBe(true);
  });
  test('allowed domains: only those, case-insensitively, and not a look-alike suffix', () => {
    const r = rules({ allowedEmailDomains: ['example.org'] });
    expect(mapIdentity(r, who(['org-a'], 'Ada@EXAMPLE.org')).ok).toBe(true);
    expect(mapIdentity(r, who(['org-a'], 'eve@evil-example.org'))).toEqual({ ok: false, reason: 'email_domain' });
    expect(mapIdentity(r, who(['org-a'], 'eve@example.org.evil.com'))).toEqual({ ok: false, reason: 'email_domain' });
  });
});

test('the groups claim: a list (non-strings dropped), a single string, or nothing', () => {
  expect(groupsFromClaim(['a', 3, '', 'b'])).toEqual(['a', 'b']);
  expect(groupsFromClaim('a')).toEqual(['a']);
  expect(groupsFromClaim(undefined)).toEqual([]);
  expect(groupsFromClaim({ a: 1 })).toEqual([]);
});

describe('settings', () => {
  const parse = (env: Record<string, string>) =>
    parseOidcConfig(
      resolveSettings(new Map(), {
        AQUEDUCT_OIDC_ISSUER: 'https://id.example.org/realms/staff',
        AQUEDUCT_OIDC_CLIENT_ID: 'aqueduct',
        AQUEDUCT_PUBLIC_URL: 'https://gateway.example.org/',
        AQUEDUCT_OIDC_ORG: 'Example',
        ...env,
      }).settings,
    );

  test('a good configuration: redirect URI under the public URL, fixed org, defaults', () => {
    const { oidc, problems } = parse({});
    expect(problems).toEqual([]);
    expect(oidc!.redirectUri).toBe('https://gateway.example.org/ui/auth/callback');
    expect(oidc!.org).toEqual({ name: 'Example' });
    expect(oidc!.scopes).toBe('openid email profile');
    expect(oidc!.groupsClaim).toBe('groups');
    expect(oidc!.clientSecret).toBeUndefined();
    expect(oidc!.providerName).toBe('id.example.org');
    expect(oidc!.allowHttp).toBe(false);
  });
  test('no issuer: no single sign-on, and no problem', () => {
    expect(parseOidcConfig(resolveSettings(new Map(), {}).settings)).toEqual({ oidc: undefined, problems: [] });
  });
  test('every problem is named at once', () => {
    const { oidc, problems } = parse({
      AQUEDUCT_OIDC_CLIENT_ID: '',
      AQUEDUCT_PUBLIC_URL: 'https://gateway.example.org/?x=1',
      AQUEDUCT_OIDC_ORG: '^org-(a)(b)$',
      AQUEDUCT_OIDC_TEAM_GROUPS: '^team-(',
    });
    expect(oidc).toBeUndefined();
    expect(problems).toHaveLength(4);
    expect(problems.join('\n')).toContain('AQUEDUCT_OIDC_CLIENT_ID is required');
    expect(problems.join('\n')).toContain('without query');
    expect(problems.join('\n')).toContain('needs exactly one capture group, has 2');
    expect(problems.join('\n')).toContain('AQUEDUCT_OIDC_TEAM_GROUPS="^team-(": not a valid regular expression');
  });
  test('a team pattern without a capture group, a missing org, scopes without openid', () => {
    const { problems } = parse({ AQUEDUCT_OIDC_TEAM_GROUPS: '^team-.+$', AQUEDUCT_OIDC_ORG: '', AQUEDUCT_OIDC_SCOPES: 'email profile' });
    expect(problems.join('\n')).toContain('AQUEDUCT_OIDC_TEAM_GROUPS="^team-.+$": needs exactly one capture group, has 0');
    expect(problems.join('\n')).toContain('AQUEDUCT_OIDC_ORG is not set');
    expect(problems.join('\n')).toContain('must include openid');
  });
  test('plain http only for an issuer on this machine', () => {
    expect(parse({ AQUEDUCT_OIDC_ISSUER: 'http://id.example.org' }).problems.join('\n')).toContain('must be https');
    const local = parse({ AQUEDUCT_OIDC_ISSUER: 'http://127.0.0.1:9999' });
    expect(local.problems).toEqual([]);
    expect(local.oidc!.allowHttp).toBe(true);
  });
  test('no public URL: single sign-on cannot work', () => {
    const { problems } = parseOidcConfig(resolveSettings(new Map(), { AQUEDUCT_OIDC_ISSUER: 'https://id.example.org', AQUEDUCT_OIDC_CLIENT_ID: 'x', AQUEDUCT_OIDC_ORG: 'o' }).settings);
    expect(problems.join('\n')).toContain('AQUEDUCT_PUBLIC_URL is required');
  });
  test('other single sign-on settings without an issuer are a problem, not silently ignored', () => {
    const { problems } = parseOidcConfig(resolveSettings(new Map(), { AQUEDUCT_OIDC_CLIENT_ID: 'x' }).settings);
    expect(problems.join('\n')).toContain('AQUEDUCT_OIDC_ISSUER is not set');
  });
});

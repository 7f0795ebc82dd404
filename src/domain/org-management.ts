/**
 * Orgs: list, create, rename, and set their limits, pooled limits and exclusions. One implementation of
 * the rules, used by /admin/orgs and the console's Orgs page alike: only admins create or rename orgs and
 * set pooled limits; an org admin may only tighten their own org's limits and exclusions (policy-rules.ts);
 * an org out of reach is 404 (Reach).
 */
import type { Directory, Org, OrgCounts, PolicyPatch, PoolPatch } from './directory';
import { assertMayChangePolicy } from './policy-rules';
import { forbidden, type Reach } from './reach';

export type OrgChange = PolicyPatch & PoolPatch & { name?: string };

/** The orgs a caller sees: admins every org, everyone else (but service accounts) their own. */
export async function visibleOrgs(dir: Directory, reach: Reach): Promise<Org[]> {
  if (reach.isAdmin) return dir.listOrgs();
  if (reach.isServiceAccount) return [];
  return dir.listOrgs([reach.p.orgId]);
}

/** Every visible org with how many users, teams and live keys it has. */
export async function orgOverview(dir: Directory, reach: Reach): Promise<(Org & OrgCounts)[]> {
  const counts = await dir.orgCounts();
  return (await visibleOrgs(dir, reach)).map((o) => ({ ...o, ...(counts.get(o.id) ?? { users: 0, teams: 0, keys: 0 }) }));
}

/** Creates an org (admins only), with its policy if one is given; a taken name is a conflict. */
export async function createOrg(dir: Directory, reach: Reach, name: string, patch: PolicyPatch & PoolPatch = {}): Promise<Org> {
  if (!reach.isAdmin) throw forbidden('Only admins create orgs.');
  const org = await dir.createOrg(name);
  return Object.keys(patch).length > 0 ? (await dir.updateOrg(org.id, patch))! : org;
}

/** Renames an org (admins only) and changes its policy after the reach and policy checks. */
export async function updateOrg(dir: Directory, reach: Reach, id: number, change: OrgChange): Promise<Org> {
  await reach.org(id, 'manage');
  const { name, ...patch } = change;
  if (name !== undefined && !reach.isAdmin) throw forbidden('Only admins rename orgs.');
  await assertMayChangePolicy(reach, dir, { org: (await dir.org(id))! }, patch);
  return (await dir.updateOrg(id, change)) ?? (await dir.org(id))!;
}

/**
 * A user's role, limits and exclusions: one implementation of the rules, used by PATCH /admin/users/{id}
 * and the console's People page alike. Out of reach (another org, an admin for a non-admin) is 404 (Reach);
 * only admins make admins; below admin a change only tightens, and never one's own (policy-rules.ts).
 */
import type { Directory, PolicyPatch, User } from './directory';
import type { Role } from './key-cache';
import { assertMayChangePolicy } from './policy-rules';
import { forbidden, type Reach } from './reach';

/** The users a caller may see: admins everyone (or one org's), org-admins their org's, users themselves. */
export async function visibleUsers(dir: Directory, reach: Reach, orgId?: number): Promise<User[]> {
  if (reach.isAdmin) return dir.listUsers(orgId);
  if (reach.manageOrg(reach.p.orgId)) return dir.listUsers(reach.p.orgId);
  if (reach.isServiceAccount) return [];
  const self = await dir.user(reach.p.userId);
  return self ? [self] : [];
}

/** Changes a user's role and policy after the reach and policy checks; throws a Refusal (404, 403) otherwise. */
export async function updateUser(dir: Directory, reach: Reach, id: number, change: { role?: Role; policy: PolicyPatch }): Promise<User> {
  const user = await reach.user(id, 'manage');
  if (change.role === 'admin' && !reach.isAdmin) throw forbidden('Only admins make admins.');
  await assertMayChangePolicy(reach, dir, { user }, change.policy);
  const updated = await dir.updateUser(user.id, { ...change.policy, ...(change.role !== undefined ? { role: change.role } : {}) });
  return updated ?? user;
}

/**
 * Who may change limits and exclusions, and how. An admin may set anything. Below the admin a role can
 * only tighten what is in force, never loosen it — whoever set it:
 *
 * - a limit (rpm, itpm, otpm, and the pooled limits) may be lowered, or set where none is in force; raising
 *   it, or unsetting it when that lets a looser (or no) limit apply, is loosening. A level's limit is
 *   compared with what is in force there: its own value, else the one it inherits (key ← user or team ← org).
 * - an exclusion list may gain entries, never lose one;
 * - a merge flag may be turned on, never off (off drops the org's exclusions).
 *
 * And nobody but an admin edits their own limits or exclusions (or their own keys' limits). The global
 * exclusions from settings bind every key regardless (key-cache.ts effectiveExclusions).
 */
import type { Directory, Org, PolicyPatch, PoolPatch, Team, User } from './directory';
import type { Limits } from './key-cache';
import { forbidden, type Reach } from './reach';
import type { KeyInfo } from './tokens';

/** A level's current policy: an org, team or user (lists and flags), or a key (limits only). */
export interface CurrentPolicy extends Partial<Limits> {
  excludedModels?: string[];
  mergeModelExclusions?: boolean;
  excludedMcpServers?: string[];
  mergeMcpExclusions?: boolean;
}

const LIMITS = ['rpm', 'itpm', 'otpm'] as const;

/** True when `next` (with `inherited` applying where it is null) is at most as loose as `now`. */
export function limitTightens(now: number | null, next: number | null, inherited: number | null = null): boolean {
  const inForce = now ?? inherited;
  const after = next ?? inherited;
  return inForce === null || (after !== null && after <= inForce);
}

/** The fields of `patch` that would loosen `current` (empty: it only tightens or keeps). */
export function loosenedFields(current: CurrentPolicy, patch: PolicyPatch, inherited: Partial<Limits> = {}): string[] {
  const out: string[] = [];
  for (const k of LIMITS) {
    if (patch[k] !== undefined && !limitTightens(current[k] ?? null, patch[k], inherited[k] ?? null)) out.push(k);
  }
  const lists = [
    ['excluded_models', current.excludedModels, patch.excludedModels],
    ['excluded_mcp_servers', current.excludedMcpServers, patch.excludedMcpServers],
  ] as const;
  for (const [name, now, next] of lists) {
    if (next !== undefined && (now ?? []).some((x) => !next.includes(x))) out.push(name);
  }
  const flags = [
    ['merge_model_exclusions', current.mergeModelExclusions, patch.mergeModelExclusions],
    ['merge_mcp_exclusions', current.mergeMcpExclusions, patch.mergeMcpExclusions],
  ] as const;
  for (const [name, now, next] of flags) if (next === false && now !== false) out.push(name);
  return out;
}

/** Refuses a change that loosens anything, naming the fields (for callers below admin). */
export function assertTightens(current: CurrentPolicy, patch: PolicyPatch, inherited: Partial<Limits> = {}): void {
  const loosened = loosenedFields(current, patch, inherited);
  if (loosened.length > 0) {
    throw forbidden(`Only admins loosen limits or exclusions (${loosened.join(', ')}): you may lower limits, add exclusions and turn merging on.`);
  }
}

/** Refuses edits of one's own limits or exclusions (for callers below admin). */
export function assertNotOwn(isOwn: boolean): void {
  if (isOwn) throw forbidden('Only admins set their own limits and exclusions.');
}

/** What a policy change applies to. `newTeam`: a team being created in this org (the defaults are in force). */
export type PolicyTarget = { org: Org } | { team: Team } | { newTeam: number } | { user: User } | { key: KeyInfo };

const orgLimits = async (dir: Directory, orgId: number): Promise<Partial<Limits>> => {
  const org = await dir.org(orgId);
  return { rpm: org?.rpm ?? null, itpm: org?.itpm ?? null, otpm: org?.otpm ?? null };
};

/** The limits a key inherits where its own are unset: its user's (or, for a service account, its team's), else its org's. */
async function keyInherits(dir: Directory, key: KeyInfo): Promise<Partial<Limits>> {
  const sa = key.serviceAccountId !== null ? await dir.serviceAccount(key.serviceAccountId) : undefined;
  const team = sa && (await dir.team(sa.teamId));
  const own = team ?? (await dir.user(key.userId));
  const org = await orgLimits(dir, team?.orgId ?? key.orgId);
  return { rpm: own?.rpm ?? org.rpm, itpm: own?.itpm ?? org.itpm, otpm: own?.otpm ?? org.otpm };
}

/**
 * Refuses a policy change the caller may not make (after the reach checks: the caller manages the target).
 * Admins may make any change; everyone else only tightens, never on themselves, and pooled limits are set
 * by the role above the pool (an org's by admins; a team's by org-admins or admins: see the routes).
 */
export async function assertMayChangePolicy(reach: Reach, dir: Directory, target: PolicyTarget, patch: PolicyPatch & PoolPatch): Promise<void> {
  if (reach.isAdmin || Object.keys(patch).length === 0) return;
  const p = reach.p;
  if ('org' in target) {
    if (hasPool(patch)) throw forbidden("Only admins set an org's pooled limits.");
    assertTightens(target.org, patch);
  } else if ('team' in target) {
    assertTightens(poolAsLimits(target.team), poolPatchAsLimits(patch));
    assertTightens(target.team, withoutPool(patch), await orgLimits(dir, target.team.orgId));
  } else if ('newTeam' in target) {
    assertTightens({ mergeModelExclusions: true, mergeMcpExclusions: true }, withoutPool(patch), await orgLimits(dir, target.newTeam));
  } else if ('user' in target) {
    assertNotOwn(target.user.id === p.userId);
    assertTightens(target.user, patch, await orgLimits(dir, target.user.orgId));
  } else {
    assertNotOwn(target.key.serviceAccountId === null && target.key.userId === p.userId);
    assertTightens(target.key, patch, await keyInherits(dir, target.key));
  }
}

const hasPool = (patch: PoolPatch) => patch.poolRpm !== undefined || patch.poolItpm !== undefined || patch.poolOtpm !== undefined;
const withoutPool = <T extends PoolPatch>(patch: T): Omit<T, keyof PoolPatch> => {
  const { poolRpm: _r, poolItpm: _i, poolOtpm: _o, ...rest } = patch;
  return rest;
};
// A pool is compared like a limit with nothing inherited (no pool: unlimited).
const poolAsLimits = (x: { poolRpm: number | null; poolItpm: number | null; poolOtpm: number | null }): Limits => ({ rpm: x.poolRpm, itpm: x.poolItpm, otpm: x.poolOtpm });
const poolPatchAsLimits = (patch: PoolPatch): PolicyPatch => {
  const out: PolicyPatch = {};
  if (patch.poolRpm !== undefined) out.rpm = patch.poolRpm;
  if (patch.poolItpm !== undefined) out.itpm = patch.poolItpm;
  if (patch.poolOtpm !== undefined) out.otpm = patch.poolOtpm;
  return out;
};

/**
 * Which usage a person may look at, by the /admin reach rules: their own (personal keys and their teams'
 * service accounts, as GET /admin/usage shows a user); a team they manage; an org they manage; the whole
 * gateway (admins). A view out of reach is 404, exactly like an object that does not exist.
 */
import type { Directory } from '../domain/directory';
import { notFound, type Reach } from '../domain/reach';
import type { Calls, UsageScope } from '../domain/usage-report';
import { dashboardGroups, type SummaryGroup } from '../domain/usage-summary';

export const RANGES = { '1h': 3_600_000, '24h': 86_400_000, '7d': 7 * 86_400_000, '30d': 30 * 86_400_000 } as const;
export type Range = keyof typeof RANGES;

export interface ViewChoice {
  /** The `view` query value: me, team-<id>, org-<id>, all. */
  value: string;
  label: string;
}

export interface UsageView {
  value: string;
  label: string;
  scope: UsageScope;
  /** The breakdowns the page shows (and the CSV may export). */
  groups: SummaryGroup[];
}

/** The views listed in the page's picker (a team or org reachable by URL but not listed is still checked). */
export async function viewChoices(reach: Reach, dir: Directory): Promise<ViewChoice[]> {
  const out: ViewChoice[] = [{ value: 'me', label: 'My usage' }];
  if (reach.isServiceAccount) return out;
  for (const m of reach.isAdmin ? [] : await dir.teamsOf(reach.p.userId)) {
    const team = await dir.team(m.teamId);
    if (team && (await reach.manageTeam(team))) out.push({ value: `team-${team.id}`, label: `Team ${team.name}` });
  }
  const orgs = reach.isAdmin ? await dir.listOrgs() : reach.manageOrg(reach.p.orgId) ? await dir.listOrgs([reach.p.orgId]) : [];
  for (const org of orgs) out.push({ value: `org-${org.id}`, label: `Org ${org.name}` });
  if (reach.isAdmin) out.push({ value: 'all', label: 'Whole gateway' });
  return out;
}

export async function resolveView(raw: string | null, reach: Reach, dir: Directory, calls: Calls): Promise<UsageView> {
  const value = raw ?? 'me';
  const p = reach.p;
  let label: string;
  let scope: UsageScope;
  const team = /^team-([1-9]\d{0,14})$/.exec(value);
  const org = /^org-([1-9]\d{0,14})$/.exec(value);
  if (value === 'me') {
    label = 'My usage';
    scope = { kind: 'user', userId: p.userId, teamIds: (await dir.teamsOf(p.userId)).map((m) => m.teamId) };
  } else if (team) {
    const t = await reach.team(Number(team[1]), 'manage'); // 404 when out of reach
    label = `Team ${t.name}`;
    scope = { kind: 'team', teamId: t.id };
  } else if (org) {
    const id = Number(org[1]);
    const o = await dir.org(id);
    if (!o || !reach.manageOrg(id)) throw notFound('org');
    label = `Org ${o.name}`;
    scope = { kind: 'org', orgId: id };
  } else if (value === 'all' && reach.isAdmin) {
    label = 'Whole gateway';
    scope = { kind: 'all' };
  } else {
    throw notFound('usage view');
  }
  return { value, label, scope, groups: dashboardGroups(scope, calls) };
}

export const isRange = (r: string | null): r is Range => r !== null && Object.hasOwn(RANGES, r);

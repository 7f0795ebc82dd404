/**
 * A team's members and service accounts: list, add, promote/demote, remove, create, delete. One
 * implementation of the rules, used by the /admin API and the console alike: out-of-reach teams, users and
 * service accounts are 404 (Reach); team admins manage members, only org admins appoint, dismiss or remove
 * team admins; the per-team service-account cap binds everyone.
 */
import type { Directory, Member, ServiceAccount, Team, User } from './directory';
import { forbidden, notFound, type Reach } from './reach';

/** The teams a caller sees: admins every team (or one org's), org admins their org's, users their own. */
export async function visibleTeams(dir: Directory, reach: Reach, orgId?: number): Promise<Team[]> {
  if (reach.isAdmin) return dir.listTeams({ orgId });
  if (reach.manageOrg(reach.p.orgId)) return dir.listTeams({ orgId: reach.p.orgId });
  if (reach.isServiceAccount) return [];
  return dir.listTeams({ ids: (await dir.teamsOf(reach.p.userId)).map((m) => m.teamId) });
}

export async function listMembers(dir: Directory, reach: Reach, teamId: number): Promise<Member[]> {
  return dir.members((await reach.team(teamId)).id);
}

/** Whom to add: by id, else by email; either way only a user of the team's org (others are "not found"). */
export interface MemberRef {
  userId?: number;
  email?: string;
}

/**
 * Adds a member, or changes the admin flag of one (`isAdmin` undefined: keep it, false for a new member).
 * A user outside the team's org is "not found", so the existence of an email elsewhere is not revealed.
 */
export async function setMember(dir: Directory, reach: Reach, teamId: number, who: MemberRef, isAdmin?: boolean): Promise<{ team: Team; user: User; isAdmin: boolean }> {
  const team = await reach.team(teamId, 'manage');
  const user = who.userId !== undefined ? await dir.user(who.userId) : who.email !== undefined ? await dir.userByEmail(who.email) : undefined;
  if (!user || user.orgId !== team.orgId) throw notFound('user in this org');
  const current = (await dir.membership(team.id, user.id))?.isAdmin ?? false;
  if (isAdmin !== undefined && isAdmin !== current && !reach.manageOrg(team.orgId)) throw forbidden('Only org admins appoint or dismiss team admins.');
  await dir.setMember(team.id, user.id, isAdmin ?? current);
  return { team, user, isAdmin: (await dir.membership(team.id, user.id))!.isAdmin };
}

export async function removeMember(dir: Directory, reach: Reach, teamId: number, userId: number): Promise<Team> {
  const team = await reach.team(teamId, 'manage');
  const member = await dir.membership(team.id, userId);
  if (!member) throw notFound('member');
  if (member.isAdmin && !reach.manageOrg(team.orgId)) throw forbidden('Only org admins remove team admins.');
  await dir.removeMember(team.id, userId);
  return team;
}

export async function listServiceAccounts(dir: Directory, reach: Reach, teamId: number): ReturnType<Directory['listServiceAccounts']> {
  return dir.listServiceAccounts((await reach.team(teamId)).id);
}

/** Creates a service account and its one key (the raw key is in the answer once), within the team's cap. */
export async function createServiceAccount(dir: Directory, reach: Reach, teamId: number, maxPerTeam: number, req: { name: string; description?: string }) {
  const team = await reach.team(teamId, 'manage');
  return dir.createServiceAccount(team.id, req.name, req.description ?? '', reach.p.userId, maxPerTeam);
}

/** Deletes a service account and its key; one the caller does not manage is "not found". */
export async function deleteServiceAccount(dir: Directory, reach: Reach, id: number): Promise<ServiceAccount> {
  const sa = await dir.serviceAccount(id);
  const team = sa && (await dir.team(sa.teamId));
  if (!sa || !team || !(await reach.manageTeam(team))) throw notFound('service account');
  await dir.deleteServiceAccount(sa.id);
  return sa;
}

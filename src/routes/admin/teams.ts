/** /admin/teams: org-admins create teams and set their policy; team admins manage members and service accounts. */
import { Type } from '@sinclair/typebox';
import { Elysia, t } from 'elysia';
import type { AppDeps } from '../../app';
import { keyPreview } from '../../domain/api-key';
import { forbidden, notFound } from '../../domain/reach';
import { assertMayChangePolicy } from '../../domain/policy-rules';
import { hasPolicy, list, PolicyBody, policyPatch, PoolBody, poolPatch, serviceAccountJson, teamJson } from '../../schemas/admin';
import { CreatedServiceAccount, Deleted, ListOf, MemberView, RemovedMember, ServiceAccountView, SetMember, TeamView } from '../../schemas/admin-responses';
import { refusals } from '../../schemas/common';
import { idParam } from '../../schemas/params';
import { adminContext, adminDetail } from './context';

const teamId = t.Object({ id: idParam('id', 'A team id') });
const dbId = Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER });

export const adminTeams = (deps: AppDeps) => {
  const dir = deps.directory;
  return new Elysia()
    .use(adminContext(deps))
    .get(
      '/admin/teams',
      ({ reach, principal: p, query }) => {
        if (reach.isAdmin) return list(dir.listTeams({ orgId: query.org_id }).map(teamJson));
        if (reach.manageOrg(p.orgId)) return list(dir.listTeams({ orgId: p.orgId }).map(teamJson));
        if (reach.isServiceAccount) return list([]);
        return list(dir.listTeams({ ids: dir.teamsOf(p.userId).map((m) => m.teamId) }).map(teamJson));
      },
      {
        query: t.Object({ org_id: t.Optional(idParam('org_id', 'Admins: one org only')) }),
        response: { 200: ListOf(TeamView), ...refusals(400) },
        detail: adminDetail('listTeams', 'List teams', 'Teams', 'Admins see every team, org admins their org, users their own teams.'),
      },
    )
    .post(
      '/admin/teams',
      ({ reach, body, changed }) => {
        const orgId = reach.orgToCreateIn(body.org_id, 'teams');
        const { name, description } = body;
        const patch = { ...policyPatch(body), ...poolPatch(body) };
        assertMayChangePolicy(reach, dir, { newTeam: orgId }, patch);
        const team = dir.createTeam(orgId, name, description ?? '');
        const out = hasPolicy(patch) ? dir.updateTeam(team.id, patch)! : team;
        changed();
        return teamJson(out);
      },
      {
        body: t.Object({ name: t.String({ minLength: 1, maxLength: 200 }), description: t.Optional(t.String({ maxLength: 2000 })), org_id: t.Optional(dbId), ...PolicyBody, ...PoolBody }),
        response: { 200: TeamView, ...refusals(400, 403, 404, 409) },
        detail: adminDetail('createTeam', 'Create a team', 'Teams'),
      },
    )
    .get('/admin/teams/:id', ({ reach, params }) => teamJson(reach.team(params.id)), {
      params: teamId,
      response: { 200: TeamView, ...refusals(400, 404) },
      detail: adminDetail('getTeam', 'Get a team', 'Teams'),
    })
    .patch(
      '/admin/teams/:id',
      ({ reach, params, body, changed }) => {
        const team = reach.team(params.id, 'manage');
        const { name, description } = body;
        const patch = { ...policyPatch(body), ...poolPatch(body) };
        if (hasPolicy(patch) && !reach.setPolicyOf(team.orgId)) throw forbidden('Only org admins set team limits and exclusions.');
        assertMayChangePolicy(reach, dir, { team }, patch);
        const updated = dir.updateTeam(team.id, { ...patch, ...(name !== undefined ? { name } : {}), ...(description !== undefined ? { description } : {}) });
        changed();
        return teamJson(updated ?? team);
      },
      {
        params: teamId,
        body: t.Object({ name: t.Optional(t.String({ minLength: 1, maxLength: 200 })), description: t.Optional(t.String({ maxLength: 2000 })), ...PolicyBody, ...PoolBody }),
        response: { 200: TeamView, ...refusals(400, 403, 404, 409) },
        detail: adminDetail('updateTeam', 'Rename a team, or set its limits and exclusions (org admins)', 'Teams'),
      },
    )
    .delete(
      '/admin/teams/:id',
      ({ reach, params, changed }) => {
        const team = reach.team(params.id, 'manage');
        if (!reach.manageOrg(team.orgId)) throw forbidden('Only org admins delete teams.');
        dir.deleteTeam(team.id);
        changed();
        return { id: team.id, object: 'team' as const, deleted: true as const };
      },
      { params: teamId, response: { 200: Deleted('team'), ...refusals(400, 403, 404) }, detail: adminDetail('deleteTeam', 'Delete a team (and its service accounts and their keys)', 'Teams') },
    )
    .get(
      '/admin/teams/:id/members',
      ({ reach, params }) => list(dir.members(reach.team(params.id).id).map((m) => ({ object: 'team.member' as const, user_id: m.userId, email: m.email, is_admin: m.isAdmin }))),
      { params: teamId, response: { 200: ListOf(MemberView), ...refusals(400, 404) }, detail: adminDetail('listTeamMembers', 'List members', 'Teams') },
    )
    .post(
      '/admin/teams/:id/members',
      ({ reach, params, body, changed }) => {
        const team = reach.team(params.id, 'manage');
        const user = body.user_id !== undefined ? dir.user(body.user_id) : body.email !== undefined ? dir.userByEmail(body.email) : undefined;
        // Only users of the team's org can join; others are "not found" (their existence is not revealed).
        if (!user || user.orgId !== team.orgId) throw notFound('user in this org');
        if (body.is_admin !== undefined && body.is_admin !== (dir.membership(team.id, user.id)?.isAdmin ?? false) && !reach.manageOrg(team.orgId)) {
          throw forbidden('Only org admins appoint or dismiss team admins.');
        }
        dir.setMember(team.id, user.id, body.is_admin ?? dir.membership(team.id, user.id)?.isAdmin ?? false);
        changed();
        return { object: 'team.member' as const, team_id: team.id, user_id: user.id, email: user.email, is_admin: dir.membership(team.id, user.id)!.isAdmin };
      },
      {
        params: teamId,
        body: t.Object({ user_id: t.Optional(dbId), email: t.Optional(t.String({ maxLength: 320 })), is_admin: t.Optional(t.Boolean()) }),
        response: { 200: SetMember, ...refusals(400, 403, 404) },
        detail: adminDetail('setTeamMember', 'Add a member (or change the admin flag)', 'Teams'),
      },
    )
    .delete(
      '/admin/teams/:id/members/:userId',
      ({ reach, params, changed }) => {
        const team = reach.team(params.id, 'manage');
        const member = dir.membership(team.id, params.userId);
        if (!member) throw notFound('member');
        if (member.isAdmin && !reach.manageOrg(team.orgId)) throw forbidden('Only org admins remove team admins.');
        dir.removeMember(team.id, params.userId);
        changed();
        return { object: 'team.member' as const, team_id: team.id, user_id: params.userId, deleted: true as const };
      },
      {
        params: t.Object({ id: idParam('id', 'A team id'), userId: idParam('userId', 'A user id') }),
        response: { 200: RemovedMember, ...refusals(400, 403, 404) },
        detail: adminDetail('removeTeamMember', 'Remove a member', 'Teams'),
      },
    )
    .get(
      '/admin/teams/:id/service-accounts',
      ({ reach, params }) => list(dir.listServiceAccounts(reach.team(params.id).id).map(serviceAccountJson)),
      { params: teamId, response: { 200: ListOf(ServiceAccountView), ...refusals(400, 404) }, detail: adminDetail('listServiceAccounts', 'List service accounts', 'Service accounts') },
    )
    .post(
      '/admin/teams/:id/service-accounts',
      ({ reach, principal: p, params, body, changed }) => {
        const team = reach.team(params.id, 'manage');
        const created = dir.createServiceAccount(team.id, body.name, body.description ?? '', p.userId, deps.settings.maxServiceAccountsPerTeam);
        changed();
        return { ...serviceAccountJson({ ...created.serviceAccount, keyId: created.keyId, keyPreview: keyPreview(created.key) }), key: created.key };
      },
      {
        params: teamId,
        body: t.Object({ name: t.String({ minLength: 1, maxLength: 200 }), description: t.Optional(t.String({ maxLength: 2000 })) }),
        response: { 200: CreatedServiceAccount, ...refusals(400, 403, 404, 409) },
        detail: adminDetail('createServiceAccount', 'Create a service account and its key', 'Service accounts', 'The key is in the answer once. A team has at most AQUEDUCT_MAX_SERVICE_ACCOUNTS_PER_TEAM (10) service accounts.'),
      },
    )
    .delete(
      '/admin/service-accounts/:id',
      ({ reach, params, changed }) => {
        const sa = dir.serviceAccount(params.id);
        const team = sa && dir.team(sa.teamId);
        if (!sa || !team || !reach.manageTeam(team)) throw notFound('service account');
        dir.deleteServiceAccount(sa.id);
        changed();
        return { id: sa.id, object: 'service_account' as const, deleted: true as const };
      },
      {
        params: t.Object({ id: idParam('id', 'A service account id') }),
        response: { 200: Deleted('service_account'), ...refusals(400, 404) },
        detail: adminDetail('deleteServiceAccount', 'Delete a service account and its key', 'Service accounts'),
      },
    );
};

/**
 * /admin/teams: org-admins create teams and set their policy; team admins manage members and service accounts
 * (domain/team-management.ts, shared with the console).
 */
import { Type } from '@sinclair/typebox';
import { Elysia, t } from 'elysia';
import type { AppDeps } from '../../app';
import { keyPreview } from '../../domain/api-key';
import { forbidden } from '../../domain/reach';
import { createServiceAccount, deleteServiceAccount, listMembers, listServiceAccounts, removeMember, setMember, visibleTeams } from '../../domain/team-management';
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
      async ({ reach, query }) => list((await visibleTeams(dir, reach, query.org_id)).map(teamJson)),
      {
        query: t.Object({ org_id: t.Optional(idParam('org_id', 'Admins: one org only')) }),
        response: { 200: ListOf(TeamView), ...refusals(400) },
        detail: adminDetail('listTeams', 'List teams', 'Teams', 'Admins see every team, org admins their org, users their own teams.'),
      },
    )
    .post(
      '/admin/teams',
      async ({ reach, body, changed }) => {
        const orgId = await reach.orgToCreateIn(body.org_id, 'teams');
        const { name, description } = body;
        const patch = { ...policyPatch(body), ...poolPatch(body) };
        await assertMayChangePolicy(reach, dir, { newTeam: orgId }, patch);
        const team = await dir.createTeam(orgId, name, description ?? '');
        const out = hasPolicy(patch) ? (await dir.updateTeam(team.id, patch))! : team;
        changed();
        return teamJson(out);
      },
      {
        body: t.Object({ name: t.String({ minLength: 1, maxLength: 200 }), description: t.Optional(t.String({ maxLength: 2000 })), org_id: t.Optional(dbId), ...PolicyBody, ...PoolBody }),
        response: { 200: TeamView, ...refusals(400, 403, 404, 409) },
        detail: adminDetail('createTeam', 'Create a team', 'Teams'),
      },
    )
    .get('/admin/teams/:id', async ({ reach, params }) => teamJson(await reach.team(params.id)), {
      params: teamId,
      response: { 200: TeamView, ...refusals(400, 404) },
      detail: adminDetail('getTeam', 'Get a team', 'Teams'),
    })
    .patch(
      '/admin/teams/:id',
      async ({ reach, params, body, changed }) => {
        const team = await reach.team(params.id, 'manage');
        const { name, description } = body;
        const patch = { ...policyPatch(body), ...poolPatch(body) };
        if (hasPolicy(patch) && !reach.setPolicyOf(team.orgId)) throw forbidden('Only org admins set team limits and exclusions.');
        await assertMayChangePolicy(reach, dir, { team }, patch);
        const updated = await dir.updateTeam(team.id, { ...patch, ...(name !== undefined ? { name } : {}), ...(description !== undefined ? { description } : {}) });
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
      async ({ reach, params, changed }) => {
        const team = await reach.team(params.id, 'manage');
        if (!reach.manageOrg(team.orgId)) throw forbidden('Only org admins delete teams.');
        await dir.deleteTeam(team.id);
        changed();
        return { id: team.id, object: 'team' as const, deleted: true as const };
      },
      { params: teamId, response: { 200: Deleted('team'), ...refusals(400, 403, 404) }, detail: adminDetail('deleteTeam', 'Delete a team (and its service accounts and their keys)', 'Teams') },
    )
    .get(
      '/admin/teams/:id/members',
      async ({ reach, params }) => list((await listMembers(dir, reach, params.id)).map((m) => ({ object: 'team.member' as const, user_id: m.userId, email: m.email, is_admin: m.isAdmin }))),
      { params: teamId, response: { 200: ListOf(MemberView), ...refusals(400, 404) }, detail: adminDetail('listTeamMembers', 'List members', 'Teams') },
    )
    .post(
      '/admin/teams/:id/members',
      async ({ reach, params, body, changed }) => {
        const set = await setMember(dir, reach, params.id, { userId: body.user_id, email: body.email }, body.is_admin);
        changed();
        return { object: 'team.member' as const, team_id: set.team.id, user_id: set.user.id, email: set.user.email, is_admin: set.isAdmin };
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
      async ({ reach, params, changed }) => {
        const team = await removeMember(dir, reach, params.id, params.userId);
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
      async ({ reach, params }) => list((await listServiceAccounts(dir, reach, params.id)).map(serviceAccountJson)),
      { params: teamId, response: { 200: ListOf(ServiceAccountView), ...refusals(400, 404) }, detail: adminDetail('listServiceAccounts', 'List service accounts', 'Service accounts') },
    )
    .post(
      '/admin/teams/:id/service-accounts',
      async ({ reach, params, body, changed }) => {
        const created = await createServiceAccount(dir, reach, params.id, deps.settings.maxServiceAccountsPerTeam, body);
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
      async ({ reach, params, changed }) => {
        const sa = await deleteServiceAccount(dir, reach, params.id);
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

/** /admin/orgs and /admin/users: admins manage orgs; org-admins manage their org's users, limits and exclusions. */
import { Type } from '@sinclair/typebox';
import { Elysia, t } from 'elysia';
import type { AppDeps } from '../../app';
import { createOrg, updateOrg, visibleOrgs } from '../../domain/org-management';
import { cannotCreateUser } from '../../domain/reach';
import { Refusal } from '../../domain/refusal';
import { updateUser, visibleUsers } from '../../domain/user-management';
import { list, orgJson, PolicyBody, policyPatch, PoolBody, poolPatch } from '../../schemas/admin';
import { ListOf, OrgView, UserView } from '../../schemas/admin-responses';
import { refusals } from '../../schemas/common';
import { idParam } from '../../schemas/params';
import { adminContext, adminDetail, userViews } from './context';

const role = t.Union([t.Literal('user'), t.Literal('org-admin'), t.Literal('admin')]);
const orgId = t.Object({ id: idParam('id', 'An org id') });
const userId = t.Object({ id: idParam('id', 'A user id') });

export const adminOrgsUsers = (deps: AppDeps) => {
  const dir = deps.directory;
  const users = userViews(deps);
  /**
   * An org-admin creating a user: an email already taken (in any org) gets the very refusal a policy
   * refusal gets, so the answer never tells whether, or where, the address exists (emails are unique
   * across orgs; "already exists" let org-admins probe other orgs' users).
   */
  const createAsOrgAdmin = async (email: string, orgId: number, role: 'user' | 'org-admin' | 'admin') => {
    if (role === 'admin' || (await dir.userByEmail(email)) !== undefined) throw cannotCreateUser();
    try {
      return await dir.createUser(email, orgId, role);
    } catch (err) {
      // Taken between the check and the insert.
      if (err instanceof Refusal && err.kind === 'conflict') throw cannotCreateUser();
      throw err;
    }
  };
  return new Elysia()
    .use(adminContext(deps))
    .get(
      '/admin/orgs',
      async ({ reach }) => list((await visibleOrgs(dir, reach)).map(orgJson)),
      { response: { 200: ListOf(OrgView), ...refusals() }, detail: adminDetail('listOrgs', 'List orgs', 'Orgs', 'Admins see every org; others their own.') },
    )
    .post(
      '/admin/orgs',
      async ({ reach, body, changed }) => {
        const org = await createOrg(dir, reach, body.name, { ...policyPatch(body), ...poolPatch(body) });
        changed();
        return orgJson(org);
      },
      {
        body: t.Object({ name: t.String({ minLength: 1, maxLength: 200 }), ...PolicyBody, ...PoolBody }),
        response: { 200: OrgView, ...refusals(400, 403, 409) },
        detail: adminDetail('createOrg', 'Create an org', 'Orgs'),
      },
    )
    .get(
      '/admin/orgs/:id',
      async ({ reach, params }) => {
        await reach.org(params.id, 'see');
        return orgJson((await dir.org(params.id))!);
      },
      { params: orgId, response: { 200: OrgView, ...refusals(400, 404) }, detail: adminDetail('getOrg', 'Get an org', 'Orgs') },
    )
    .patch(
      '/admin/orgs/:id',
      async ({ reach, params, body, changed }) => {
        const { name } = body;
        const org = await updateOrg(dir, reach, params.id, { ...policyPatch(body), ...poolPatch(body), ...(name !== undefined ? { name } : {}) });
        changed();
        return orgJson(org);
      },
      {
        params: orgId,
        body: t.Object({ name: t.Optional(t.String({ minLength: 1, maxLength: 200 })), ...PolicyBody, ...PoolBody }),
        response: { 200: OrgView, ...refusals(400, 403, 404, 409) },
        detail: adminDetail('updateOrg', "Set an org's limits, pooled limits and exclusions", 'Orgs', 'Org-admins may only tighten (lower limits, add exclusions, turn merging on); pooled limits are set by admins.'),
      },
    )
    .get(
      '/admin/users',
      async ({ reach, query }) => {
        return list(await users.many(await visibleUsers(dir, reach, query.org_id)));
      },
      {
        query: t.Object({ org_id: t.Optional(idParam('org_id', 'Admins: one org only')) }),
        response: { 200: ListOf(UserView), ...refusals(400) },
        detail: adminDetail('listUsers', 'List users', 'Users', 'Admins see everyone, org admins their org, users themselves.'),
      },
    )
    .post(
      '/admin/users',
      async ({ reach, body, changed }) => {
        const orgId = await reach.orgToCreateIn(body.org_id, 'users');
        const user = reach.isAdmin ? await dir.createUser(body.email, orgId, body.role ?? 'user') : await createAsOrgAdmin(body.email, orgId, body.role ?? 'user');
        changed();
        return users.one(user);
      },
      {
        body: t.Object({
          email: t.String({ pattern: '^[^\\s@]+@[^\\s@]+$', maxLength: 320 }),
          org_id: t.Optional(Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER })),
          role: t.Optional(role),
        }),
        response: { 200: UserView, ...refusals(400, 403, 404, 409) },
        detail: adminDetail('createUser', 'Create a user', 'Users'),
      },
    )
    .get(
      '/admin/users/:id',
      async ({ reach, params }) => users.one(await reach.user(params.id, 'see')),
      { params: userId, response: { 200: UserView, ...refusals(400, 404) }, detail: adminDetail('getUser', 'Get a user', 'Users') },
    )
    .patch(
      '/admin/users/:id',
      async ({ reach, params, body, changed }) => {
        const { role: newRole, ...policy } = body;
        const updated = await updateUser(dir, reach, params.id, { role: newRole, policy: policyPatch(policy) });
        changed();
        return users.one(updated);
      },
      {
        params: userId,
        body: t.Object({ role: t.Optional(role), ...PolicyBody }),
        response: { 200: UserView, ...refusals(400, 403, 404) },
        detail: adminDetail('updateUser', "Set a user's role, limits and exclusions", 'Users', 'Org-admins may only tighten, and never their own.'),
      },
    );
};

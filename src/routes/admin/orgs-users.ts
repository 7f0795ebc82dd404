/** /admin/orgs and /admin/users: admins manage orgs; org-admins manage their org's users, limits and exclusions. */
import { Elysia, t } from 'elysia';
import type { AppDeps } from '../../app';
import { forbidden } from '../../domain/reach';
import { hasPolicy, list, orgJson, PolicyBody, policyPatch, userJson } from '../../schemas/admin';
import { adminContext, adminDetail } from './context';

const role = t.Union([t.Literal('user'), t.Literal('org-admin'), t.Literal('admin')]);

export const adminOrgsUsers = (deps: AppDeps) => {
  const dir = deps.directory;
  return new Elysia()
    .use(adminContext(deps))
    .get(
      '/admin/orgs',
      ({ reach, principal: p }) => list((reach.isAdmin ? dir.listOrgs() : reach.isServiceAccount ? [] : dir.listOrgs([p.orgId])).map(orgJson)),
      { detail: adminDetail('List orgs', 'Orgs', 'Admins see every org; others their own.') },
    )
    .post(
      '/admin/orgs',
      ({ reach, body, changed }) => {
        if (!reach.isAdmin) throw forbidden('Only admins create orgs.');
        const { name, ...policy } = body;
        const org = dir.createOrg(name);
        const patch = policyPatch(policy);
        const out = hasPolicy(patch) ? dir.updateOrg(org.id, patch)! : org;
        changed();
        return orgJson(out);
      },
      { body: t.Object({ name: t.String({ minLength: 1, maxLength: 200 }), ...PolicyBody }), detail: adminDetail('Create an org', 'Orgs') },
    )
    .get(
      '/admin/orgs/:id',
      ({ reach, params }) => {
        reach.org(params.id, 'see');
        return orgJson(dir.org(params.id)!);
      },
      { params: t.Object({ id: t.Numeric() }), detail: adminDetail('Get an org', 'Orgs') },
    )
    .patch(
      '/admin/orgs/:id',
      ({ reach, params, body, changed }) => {
        reach.org(params.id, 'manage');
        const { name, ...policy } = body;
        if (name !== undefined && !reach.isAdmin) throw forbidden('Only admins rename orgs.');
        const org = dir.updateOrg(params.id, { ...policyPatch(policy), ...(name !== undefined ? { name } : {}) });
        changed();
        return orgJson(org ?? dir.org(params.id)!);
      },
      {
        params: t.Object({ id: t.Numeric() }),
        body: t.Object({ name: t.Optional(t.String({ minLength: 1, maxLength: 200 })), ...PolicyBody }),
        detail: adminDetail("Set an org's limits and exclusions", 'Orgs'),
      },
    )
    .get(
      '/admin/users',
      ({ reach, principal: p, query }) => {
        if (reach.isAdmin) return list(dir.listUsers(query.org_id).map(userJson));
        if (reach.manageOrg(p.orgId)) return list(dir.listUsers(p.orgId).map(userJson));
        return list(reach.isServiceAccount ? [] : [userJson(dir.user(p.userId)!)]);
      },
      { query: t.Object({ org_id: t.Optional(t.Numeric()) }), detail: adminDetail('List users', 'Users', 'Admins see everyone, org admins their org, users themselves.') },
    )
    .post(
      '/admin/users',
      ({ reach, body, changed }) => {
        const orgId = reach.orgToCreateIn(body.org_id, 'users');
        if (body.role === 'admin' && !reach.isAdmin) throw forbidden('Only admins make admins.');
        const user = dir.createUser(body.email, orgId, body.role ?? 'user');
        changed();
        return userJson(user);
      },
      {
        body: t.Object({ email: t.String({ pattern: '^[^\\s@]+@[^\\s@]+$', maxLength: 320 }), org_id: t.Optional(t.Integer()), role: t.Optional(role) }),
        detail: adminDetail('Create a user', 'Users'),
      },
    )
    .get(
      '/admin/users/:id',
      ({ reach, params }) => userJson(reach.user(params.id, 'see')),
      { params: t.Object({ id: t.Numeric() }), detail: adminDetail('Get a user', 'Users') },
    )
    .patch(
      '/admin/users/:id',
      ({ reach, params, body, changed }) => {
        const user = reach.user(params.id, 'manage');
        const { role: newRole, ...policy } = body;
        if (newRole === 'admin' && !reach.isAdmin) throw forbidden('Only admins make admins.');
        const updated = dir.updateUser(user.id, { ...policyPatch(policy), ...(newRole !== undefined ? { role: newRole } : {}) });
        changed();
        return userJson(updated ?? user);
      },
      {
        params: t.Object({ id: t.Numeric() }),
        body: t.Object({ role: t.Optional(role), ...PolicyBody }),
        detail: adminDetail("Set a user's role, limits and exclusions", 'Users'),
      },
    );
};

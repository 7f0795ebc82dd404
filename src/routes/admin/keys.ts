/** /admin/me and /admin/keys: a caller's own identity and keys; managers act on the keys of those they manage. */
import { Type } from '@sinclair/typebox';
import { Elysia, t } from 'elysia';
import type { AppDeps } from '../../app';
import { createKey, listKeys, revokeKey, updateKey } from '../../domain/key-management';
import { keyJson, LimitsBody, list, teamJson } from '../../schemas/admin';
import { CreatedKey, Deleted, KeyView, ListOf, Me } from '../../schemas/admin-responses';
import { refusals } from '../../schemas/common';
import { idParam } from '../../schemas/params';
import { adminContext, adminDetail, userViews } from './context';

export const adminKeys = (deps: AppDeps) => {
  const users = userViews(deps);
  return new Elysia()
    .use(adminContext(deps))
    .get(
      '/admin/me',
      async ({ principal: p }) => ({
        object: 'me' as const,
        user: await users.one((await deps.directory.user(p.userId))!),
        key: { id: p.keyId, name: p.keyName, preview: p.keyPreview, service_account_id: p.serviceAccountId, team_id: p.teamId },
        teams: p.serviceAccountId !== null ? [] : await Promise.all((await deps.directory.teamsOf(p.userId)).map(async (m) => ({ ...teamJson((await deps.directory.team(m.teamId))!), is_admin: m.isAdmin }))),
        effective: { limits: p.limits, excluded_models: [...p.excludedModels], excluded_mcp_servers: [...p.excludedMcpServers] },
      }),
      { response: { 200: Me, ...refusals() }, detail: adminDetail('getMe', 'Who am I', 'Keys', 'The calling key, its user, teams, and effective limits and exclusions.') },
    )
    .get(
      '/admin/keys',
      async ({ reach, query }) => list((await listKeys(deps.directory, reach, query.user_id)).map(keyJson)),
      {
        query: t.Object({ user_id: t.Optional(idParam('user_id', "Another user's keys (managers only); default: yours")) }),
        response: { 200: ListOf(KeyView), ...refusals(400, 404) },
        detail: adminDetail('listKeys', 'List personal keys', 'Keys', "Your keys, or (for managers) another user's."),
      },
    )
    .post(
      '/admin/keys',
      async ({ reach, body, changed }) => {
        const expiresInMs = body.expires_in !== undefined ? body.expires_in * 1000 : undefined;
        const created = await createKey(deps.directory, reach, deps.settings.maxKeysPerUser, { name: body.name, expiresInMs, userId: body.user_id });
        changed();
        return { ...keyJson(created), key: created.key };
      },
      {
        body: t.Object({
          name: t.Optional(t.String({ maxLength: 200 })),
          expires_in: t.Optional(Type.Integer({ minimum: 1, maximum: 100 * 365 * 86_400, description: 'Lifetime in seconds' })),
          user_id: t.Optional(Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER, description: 'Create the key for another user (managers only)' })),
        }),
        response: { 200: CreatedKey, ...refusals(400, 403, 404) },
        detail: adminDetail('createKey', 'Create a personal key', 'Keys', 'The key is in the answer once; only its hash is stored.'),
      },
    )
    .patch(
      '/admin/keys/:id',
      async ({ reach, params, body, changed }) => {
        const key = await updateKey(deps.directory, reach, params.id, body);
        changed();
        return keyJson(key);
      },
      {
        params: t.Object({ id: idParam('id', 'A key id') }),
        body: t.Object({ name: t.Optional(t.String({ maxLength: 200 })), ...LimitsBody }),
        response: { 200: KeyView, ...refusals(400, 403, 404) },
        detail: adminDetail('updateKey', 'Rename a key or set its own limits', 'Keys'),
      },
    )
    .delete(
      '/admin/keys/:id',
      async ({ reach, params, changed }) => {
        const key = await revokeKey(deps.directory, reach, params.id);
        changed();
        return { id: key.id, object: 'key' as const, deleted: true as const };
      },
      { params: t.Object({ id: idParam('id', 'A key id') }), response: { 200: Deleted('key'), ...refusals(400, 404) }, detail: adminDetail('revokeKey', 'Revoke a key', 'Keys') },
    );
};

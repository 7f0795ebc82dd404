/**
 * Answers of the management API (/admin/...), as TypeBox models: they document the answers and Elysia
 * checks each answer against them. They mirror the JSON views in ./admin.ts field for field.
 */
import { Type, type TSchema } from '@sinclair/typebox';
import { t } from 'elysia';

// Plain TypeBox integers: Elysia's t.Integer also accepts numeric strings, which the document would show.
const int = (description?: string) => Type.Integer(description ? { description } : {});
const nullable = <T extends TSchema>(s: T) => t.Union([s, t.Null()]);
const seconds = (description = 'Unix seconds') => nullable(int(description));
const perMinute = nullable(int('Per minute; null: not set here'));

const policy = {
  excluded_models: t.Array(t.String()),
  merge_model_exclusions: t.Boolean(),
  excluded_mcp_servers: t.Array(t.String()),
  merge_mcp_exclusions: t.Boolean(),
  rpm: perMinute,
  itpm: perMinute,
  otpm: perMinute,
};

const pooled = nullable(int('Per minute, shared by all keys here; null: no pool'));
const pool = { pool_rpm: pooled, pool_itpm: pooled, pool_otpm: pooled };

export const OrgView = t.Object({ id: int(), object: t.Literal('organization'), name: t.String(), created_at: seconds(), ...policy, ...pool });

const teamFields = { id: int(), object: t.Literal('team'), org_id: int(), name: t.String(), description: t.String(), created_at: seconds(), ...policy, ...pool };
export const TeamView = t.Object(teamFields);

const role = t.Union([t.Literal('user'), t.Literal('org-admin'), t.Literal('admin')]);
export const UserView = t.Object({
  id: int(),
  object: t.Literal('user'),
  email: t.String(),
  org_id: int(),
  role,
  created_at: seconds(),
  ...policy,
  tos_version: nullable(t.String({ description: 'Terms of service: the version in force if the user accepted it, else the latest version they accepted; null: none' })),
  tos_accepted_at: seconds('Unix seconds: when the user accepted tos_version'),
  tos_current: nullable(t.Boolean({ description: 'Whether the user accepted the terms in force; null when the gateway has no terms of service' })),
});

const keyFields = {
  id: int(),
  object: t.Literal('key'),
  name: t.String(),
  preview: t.String({ description: 'sk-...abcd' }),
  user_id: int(),
  email: t.String(),
  service_account_id: nullable(int()),
  created_at: seconds(),
  expires_at: seconds(),
  revoked_at: seconds(),
  last_used_at: seconds(),
  rpm: perMinute,
  itpm: perMinute,
  otpm: perMinute,
};
export const KeyView = t.Object(keyFields);
export const CreatedKey = t.Object({ ...keyFields, key: t.String({ description: 'The key itself: shown only in this answer' }) });

const serviceAccountFields = {
  id: int(),
  object: t.Literal('service_account'),
  team_id: int(),
  name: t.String(),
  description: t.String(),
  created_at: seconds(),
  key_id: nullable(int()),
  key_preview: nullable(t.String()),
};
export const ServiceAccountView = t.Object(serviceAccountFields);
export const CreatedServiceAccount = t.Object({ ...serviceAccountFields, key: t.String({ description: 'The key itself: shown only in this answer' }) });

export const MemberView = t.Object({ object: t.Literal('team.member'), user_id: int(), email: t.String(), is_admin: t.Boolean() });
export const SetMember = t.Object({ object: t.Literal('team.member'), team_id: int(), user_id: int(), email: t.String(), is_admin: t.Boolean() });
export const RemovedMember = t.Object({ object: t.Literal('team.member'), team_id: int(), user_id: int(), deleted: t.Literal(true) });

export const Me = t.Object({
  object: t.Literal('me'),
  user: UserView,
  key: t.Object({ id: int(), name: t.String(), preview: t.String(), service_account_id: nullable(int()), team_id: nullable(int()) }),
  teams: t.Array(t.Object({ ...teamFields, is_admin: t.Boolean() })),
  effective: t.Object({
    limits: t.Object({ rpm: perMinute, itpm: perMinute, otpm: perMinute }),
    excluded_models: t.Array(t.String()),
    excluded_mcp_servers: t.Array(t.String()),
  }),
});

const CallKind = t.Union([t.Literal('model'), t.Literal('mcp')], { description: 'What the report counts: model calls or MCP calls' });

export const UsageReportView = t.Object({
  object: t.Literal('usage.report'),
  since: int('Unix seconds'),
  until: int('Unix seconds'),
  group_by: t.String(),
  calls: CallKind,
  bucket: nullable(t.String()),
  data: t.Array(
    t.Object({
      calls: CallKind,
      group: t.Union([t.String(), t.Number(), t.Null()], { description: 'The group: a model or server name, an id, or an end-user id' }),
      label: nullable(t.String()),
      bucket_start: nullable(int('Unix seconds: the first second of the bucket')),
      requests: t.Number(),
      failures: t.Number(),
      input_tokens: t.Number(),
      output_tokens: t.Number(),
      avg_latency_ms: t.Number(),
      p95_latency_ms: t.Number(),
    }),
  ),
});

/** `{object: 'list', data: [...]}` (the admin lists are not paginated). */
export const ListOf = <T extends TSchema>(item: T) => t.Object({ object: t.Literal('list'), data: t.Array(item) });

export const Deleted = <O extends string>(object: O) => t.Object({ id: int(), object: t.Literal(object), deleted: t.Literal(true) });

/** Request bodies and JSON views of the management API (/admin/...). */
import { Type } from '@sinclair/typebox';
import { t } from 'elysia';
import type { Org, PolicyPatch, PoolPatch, ServiceAccount, Team, User } from '../domain/directory';
import type { TermsAcceptance } from '../domain/terms';
import type { KeyInfo } from '../domain/tokens';

// Plain TypeBox integers: JSON bodies carry numbers, and Elysia's t.Integer (which also takes numeric
// strings) would show a string branch with default 0 in the API document.
const limit = t.Optional(t.Union([Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }), t.Null()], { description: 'Per minute; null unsets it' }));
const names = t.Optional(t.Array(t.String({ minLength: 1 }), { maxItems: 1000 }));

export const PolicyBody = {
  excluded_models: names,
  merge_model_exclusions: t.Optional(t.Boolean()),
  excluded_mcp_servers: names,
  merge_mcp_exclusions: t.Optional(t.Boolean()),
  rpm: limit,
  itpm: limit,
  otpm: limit,
};

export const LimitsBody = { rpm: limit, itpm: limit, otpm: limit };

const pooled = t.Optional(t.Union([Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }), t.Null()], { description: 'Per minute, shared by all keys here; null: no pool' }));
/** Pooled limits of an org (set by admins) or a team (set by org-admins and admins). */
export const PoolBody = { pool_rpm: pooled, pool_itpm: pooled, pool_otpm: pooled };

/** snake_case pool fields → PoolPatch, keeping only the fields that were sent. */
export function poolPatch(body: { pool_rpm?: number | null; pool_itpm?: number | null; pool_otpm?: number | null }): PoolPatch {
  const out: PoolPatch = {};
  if (body.pool_rpm !== undefined) out.poolRpm = body.pool_rpm;
  if (body.pool_itpm !== undefined) out.poolItpm = body.pool_itpm;
  if (body.pool_otpm !== undefined) out.poolOtpm = body.pool_otpm;
  return out;
}

type PolicyInput = { [K in keyof typeof PolicyBody]?: unknown };

/** snake_case body → PolicyPatch, keeping only the fields that were sent. */
export function policyPatch(body: PolicyInput): PolicyPatch {
  const out: PolicyPatch = {};
  if (body.excluded_models !== undefined) out.excludedModels = body.excluded_models as string[];
  if (body.merge_model_exclusions !== undefined) out.mergeModelExclusions = body.merge_model_exclusions as boolean;
  if (body.excluded_mcp_servers !== undefined) out.excludedMcpServers = body.excluded_mcp_servers as string[];
  if (body.merge_mcp_exclusions !== undefined) out.mergeMcpExclusions = body.merge_mcp_exclusions as boolean;
  for (const k of ['rpm', 'itpm', 'otpm'] as const) if (body[k] !== undefined) out[k] = body[k] as number | null;
  return out;
}

export const hasPolicy = (patch: PolicyPatch) => Object.keys(patch).length > 0;

const policyJson = (x: Org | Team | User) => ({
  excluded_models: x.excludedModels,
  merge_model_exclusions: x.mergeModelExclusions,
  excluded_mcp_servers: x.excludedMcpServers,
  merge_mcp_exclusions: x.mergeMcpExclusions,
  rpm: x.rpm,
  itpm: x.itpm,
  otpm: x.otpm,
});

const seconds = (ms: number | null) => (ms === null ? null : Math.floor(ms / 1000));

const poolJson = (x: Org | Team) => ({ pool_rpm: x.poolRpm, pool_itpm: x.poolItpm, pool_otpm: x.poolOtpm });

export const orgJson = (o: Org) => ({ id: o.id, object: 'organization' as const, name: o.name, created_at: seconds(o.createdAt), ...policyJson(o), ...poolJson(o) });
export const teamJson = (x: Team) => ({ id: x.id, object: 'team' as const, org_id: x.orgId, name: x.name, description: x.description, created_at: seconds(x.createdAt), ...policyJson(x), ...poolJson(x) });
/**
 * A user's terms of service: their acceptance (of the version in force if they accepted it, else their
 * latest; TermsAcceptances.latest) and the version in force (undefined: no terms are set).
 */
export interface UserTerms {
  accepted: TermsAcceptance | undefined;
  current: string | undefined;
}
export const userJson = (u: User, terms: UserTerms) => ({
  id: u.id,
  object: 'user' as const,
  email: u.email,
  org_id: u.orgId,
  role: u.role,
  created_at: seconds(u.createdAt),
  ...policyJson(u),
  tos_version: terms.accepted?.version ?? null,
  tos_accepted_at: seconds(terms.accepted?.acceptedAt ?? null),
  tos_current: terms.current === undefined ? null : terms.accepted?.version === terms.current,
});
export const keyJson = (k: KeyInfo) => ({
  id: k.id,
  object: 'key' as const,
  name: k.name,
  preview: k.preview,
  user_id: k.userId,
  email: k.email,
  service_account_id: k.serviceAccountId,
  created_at: seconds(k.createdAt),
  expires_at: seconds(k.expiresAt),
  revoked_at: seconds(k.revokedAt),
  last_used_at: seconds(k.lastUsedAt),
  rpm: k.rpm,
  itpm: k.itpm,
  otpm: k.otpm,
});
export const serviceAccountJson = (s: ServiceAccount & { keyPreview?: string | null; keyId?: number | null }) => ({
  id: s.id,
  object: 'service_account' as const,
  team_id: s.teamId,
  name: s.name,
  description: s.description,
  created_at: seconds(s.createdAt),
  key_id: s.keyId ?? null,
  key_preview: s.keyPreview ?? null,
});

export const list = <T>(data: T[]) => ({ object: 'list' as const, data });

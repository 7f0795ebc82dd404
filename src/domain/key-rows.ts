/**
 * How a key's effective access is read from the database: one row per live key with its user, its team
 * (for a service-account key), its org and every level's limits, exclusions and pools, and the rules that
 * turn such a row into a Principal (the most specific limit wins; exclusions merge upward; the operator's
 * global exclusions bind everyone). The key cache (key-cache.ts) keeps the principals in memory.
 */
import type { Sql } from '../db/sql';
import type { AccessDefaults, Principal, Role } from './key-cache';
import type { Pool } from './rate-limiter';

export interface KeyRow {
  key_id: number;
  key_hash: string;
  key_name: string;
  preview: string;
  expires_at: number | null;
  user_id: number;
  email: string;
  role: Role;
  org_id: number;
  team_id: number | null;
  sa_id: number | null;
  // The level below the org: the user for personal keys, the team for service-account keys.
  own_models: string;
  own_merge_models: number;
  own_mcp: string;
  own_merge_mcp: number;
  org_models: string;
  org_merge_models: number;
  org_mcp: string;
  org_merge_mcp: number;
  key_rpm: number | null;
  key_itpm: number | null;
  key_otpm: number | null;
  own_rpm: number | null;
  own_itpm: number | null;
  own_otpm: number | null;
  org_rpm: number | null;
  org_itpm: number | null;
  org_otpm: number | null;
  team_pool_rpm: number | null;
  team_pool_itpm: number | null;
  team_pool_otpm: number | null;
  org_pool_rpm: number | null;
  org_pool_itpm: number | null;
  org_pool_otpm: number | null;
  /** JSON array (text): the terms-of-service versions the user accepted (a service-account key: its team's admins). */
  tos_versions: string;
}

/**
 * The terms versions of a group of acceptances as a JSON array in text ('[]' when none): the one place where
 * the dialects need different SQL — SQLite's json_group_array against PostgreSQL's json_agg, which gives
 * NULL for no rows and json rather than text.
 */
const jsonArray = (sql: Sql, expr: string) => (sql.dialect === 'postgres' ? `coalesce(CAST(json_agg(${expr}) AS text), '[]')` : `json_group_array(${expr})`);

/**
 * Every live key's row (callers append `AND …` to narrow it). Limits and expiry are bigint on PostgreSQL,
 * hence `num`; the merge flags are booleans there, hence the CASEs (1/0 on both).
 */
export function selectKeys(sql: Sql): string {
  const n = (expr: string) => sql.num(expr);
  return `
SELECT k.id AS key_id, k.key_hash, k.name AS key_name, k.preview, ${n('k.expires_at')} AS expires_at,
       u.id AS user_id, u.email, u.role,
       -- A service-account key belongs to its team's org: its usage, limits and exclusions are that org's.
       coalesce(t.org_id, u.org_id) AS org_id,
       t.id AS team_id, sa.id AS sa_id,
       coalesce(t.excluded_models, u.excluded_models) AS own_models,
       CASE WHEN coalesce(t.merge_model_exclusions, u.merge_model_exclusions) THEN 1 ELSE 0 END AS own_merge_models,
       coalesce(t.excluded_mcp_servers, u.excluded_mcp_servers) AS own_mcp,
       CASE WHEN coalesce(t.merge_mcp_exclusions, u.merge_mcp_exclusions) THEN 1 ELSE 0 END AS own_merge_mcp,
       o.excluded_models AS org_models, CASE WHEN o.merge_model_exclusions THEN 1 ELSE 0 END AS org_merge_models,
       o.excluded_mcp_servers AS org_mcp, CASE WHEN o.merge_mcp_exclusions THEN 1 ELSE 0 END AS org_merge_mcp,
       ${n('k.rpm')} AS key_rpm, ${n('k.itpm')} AS key_itpm, ${n('k.otpm')} AS key_otpm,
       ${n('CASE WHEN t.id IS NULL THEN u.rpm ELSE t.rpm END')} AS own_rpm,
       ${n('CASE WHEN t.id IS NULL THEN u.itpm ELSE t.itpm END')} AS own_itpm,
       ${n('CASE WHEN t.id IS NULL THEN u.otpm ELSE t.otpm END')} AS own_otpm,
       ${n('o.rpm')} AS org_rpm, ${n('o.itpm')} AS org_itpm, ${n('o.otpm')} AS org_otpm,
       ${n('t.pool_rpm')} AS team_pool_rpm, ${n('t.pool_itpm')} AS team_pool_itpm, ${n('t.pool_otpm')} AS team_pool_otpm,
       ${n('o.pool_rpm')} AS org_pool_rpm, ${n('o.pool_itpm')} AS org_pool_itpm, ${n('o.pool_otpm')} AS org_pool_otpm,
       -- Terms of service: a personal key follows its user; a service-account key its team's admins (any one will do).
       CASE WHEN t.id IS NULL
            THEN (SELECT ${jsonArray(sql, 'a.version')} FROM tos_acceptances a WHERE a.user_id = u.id)
            ELSE (SELECT ${jsonArray(sql, 'DISTINCT a.version')} FROM team_members m JOIN tos_acceptances a ON a.user_id = m.user_id
                   WHERE m.team_id = t.id AND m.is_admin = TRUE)
       END AS tos_versions
  FROM api_keys k
  JOIN users u ON u.id = k.user_id
  LEFT JOIN service_accounts sa ON sa.id = k.service_account_id
  LEFT JOIN teams t ON t.id = sa.team_id
  JOIN orgs o ON o.id = coalesce(t.org_id, u.org_id)
 WHERE k.revoked_at IS NULL`;
}

/**
 * A personal key's exclusions: the user's list, plus the org's if the user merges, plus the global one
 * (settings) always: the operator's global exclusions bind every key, and no org, team or user can opt
 * out of them (the org's merge flags no longer matter). A service-account key uses its team in the
 * user's place.
 */
export function effectiveExclusions(own: string[], ownMerges: boolean, org: string[], global: readonly string[]): string[] {
  return [...own, ...(ownMerges ? org : []), ...global];
}

const NO_POOLS: readonly Pool[] = [];
const NO_TERMS: ReadonlySet<string> = new Set();

/** The team's and the org's pooled budgets that apply to a key (only those with a limit set). */
function poolsOf(r: KeyRow): readonly Pool[] {
  const pools: Pool[] = [];
  if (r.team_id !== null && (r.team_pool_rpm ?? r.team_pool_itpm ?? r.team_pool_otpm) !== null) {
    pools.push({ id: `team:${r.team_id}`, label: 'Team', limits: { rpm: r.team_pool_rpm, itpm: r.team_pool_itpm, otpm: r.team_pool_otpm } });
  }
  if ((r.org_pool_rpm ?? r.org_pool_itpm ?? r.org_pool_otpm) !== null) {
    pools.push({ id: `org:${r.org_id}`, label: 'Org', limits: { rpm: r.org_pool_rpm, itpm: r.org_pool_itpm, otpm: r.org_pool_otpm } });
  }
  return pools.length ? pools : NO_POOLS;
}

const parseList = (json: string): string[] => {
  try {
    const v = JSON.parse(json);
    return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
  } catch {
    return [];
  }
};

/** A key's row as the principal the request path uses: everything resolved once, nothing left to look up. */
export function principalOf(r: KeyRow, defaults: AccessDefaults, canonical: (name: string) => string): Principal {
  return {
    keyId: r.key_id,
    keyName: r.key_name,
    keyPreview: r.preview,
    userId: r.user_id,
    email: r.email,
    role: r.role,
    orgId: r.org_id,
    teamId: r.team_id,
    serviceAccountId: r.sa_id,
    expiresAt: r.expires_at,
    excludedModels: new Set(
      effectiveExclusions(parseList(r.own_models), !!r.own_merge_models, parseList(r.org_models), defaults.excludedModels).map(canonical),
    ),
    excludedMcpServers: new Set(effectiveExclusions(parseList(r.own_mcp), !!r.own_merge_mcp, parseList(r.org_mcp), defaults.excludedMcpServers)),
    // The most specific setting wins: key, then user (or team), then org.
    limits: {
      rpm: r.key_rpm ?? r.own_rpm ?? r.org_rpm,
      itpm: r.key_itpm ?? r.own_itpm ?? r.org_itpm,
      otpm: r.key_otpm ?? r.own_otpm ?? r.org_otpm,
    },
    pools: poolsOf(r),
    acceptedTerms: r.tos_versions === '[]' ? NO_TERMS : new Set(parseList(r.tos_versions)),
  };
}

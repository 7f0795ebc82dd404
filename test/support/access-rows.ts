/**
 * Orgs, users, teams, members, service accounts and keys written with plain SQL through the Sql port, the
 * same on SQLite and PostgreSQL — for contract tests of what reads them (the key cache) without depending on
 * the stores that normally write them. `changed` logs an access change as those stores do.
 */
import type { Sql, SqlValue } from '../../src/db/sql';
import { generateKey, hashKey, keyPreview } from '../../src/domain/api-key';
import { type AccessChange, recordAccessChangesSql } from '../../src/domain/revisions';

/** Policy columns of an org, team or user; lists are JSON text, flags booleans (written portably). */
export interface Policy {
  excluded_models?: string[];
  excluded_mcp_servers?: string[];
  merge_model_exclusions?: boolean;
  merge_mcp_exclusions?: boolean;
  rpm?: number | null;
  itpm?: number | null;
  otpm?: number | null;
  pool_rpm?: number | null;
  pool_itpm?: number | null;
  pool_otpm?: number | null;
}

/** `SET a = ?, b = (? = 1)…`: booleans as a comparison, which is 1/0 on SQLite and a boolean on PostgreSQL. */
function assignments(fields: Record<string, unknown>): { set: string; params: SqlValue[] } {
  const parts: string[] = [];
  const params: SqlValue[] = [];
  for (const [column, value] of Object.entries(fields)) {
    if (value === undefined) continue;
    if (typeof value === 'boolean') {
      parts.push(`${column} = (? = 1)`);
      params.push(value ? 1 : 0);
    } else {
      parts.push(`${column} = ?`);
      params.push(Array.isArray(value) ? JSON.stringify(value) : (value as SqlValue));
    }
  }
  return { set: parts.join(', '), params };
}

export async function update(sql: Sql, table: 'orgs' | 'teams' | 'users' | 'api_keys', id: number, fields: Record<string, unknown>): Promise<void> {
  const { set, params } = assignments(fields);
  await sql.run(`UPDATE ${table} SET ${set} WHERE id = ?`, [...params, id]);
}

const newId = async (sql: Sql, text: string, params: SqlValue[]) => (await sql.get<{ id: number }>(`${text} RETURNING id`, params))!.id;

export async function org(sql: Sql, name: string, policy: Policy = {}): Promise<number> {
  const id = await newId(sql, 'INSERT INTO orgs (name) VALUES (?)', [name]);
  if (Object.keys(policy).length) await update(sql, 'orgs', id, { ...policy });
  return id;
}

export async function user(sql: Sql, email: string, orgId: number, policy: Policy & { role?: string } = {}): Promise<number> {
  const id = await newId(sql, 'INSERT INTO users (email, org_id) VALUES (?, ?)', [email, orgId]);
  if (Object.keys(policy).length) await update(sql, 'users', id, { ...policy });
  return id;
}

export async function team(sql: Sql, orgId: number, name: string, policy: Policy = {}): Promise<number> {
  const id = await newId(sql, 'INSERT INTO teams (org_id, name) VALUES (?, ?)', [orgId, name]);
  if (Object.keys(policy).length) await update(sql, 'teams', id, { ...policy });
  return id;
}

export async function member(sql: Sql, teamId: number, userId: number, admin: boolean): Promise<void> {
  await sql.run('INSERT INTO team_members (team_id, user_id, is_admin) VALUES (?, ?, (? = 1))', [teamId, userId, admin ? 1 : 0]);
}

export async function serviceAccount(sql: Sql, teamId: number, name: string): Promise<number> {
  return newId(sql, 'INSERT INTO service_accounts (team_id, name) VALUES (?, ?)', [teamId, name]);
}

export async function accepted(sql: Sql, userId: number, version: string): Promise<void> {
  await sql.run('INSERT INTO tos_acceptances (user_id, version, accepted_at) VALUES (?, ?, ?)', [userId, version, Date.now()]);
}

/** A live key; returns its id and the raw key (only its hash is stored). */
export async function apiKey(
  sql: Sql,
  userId: number,
  opts: { name?: string; serviceAccountId?: number; expiresAt?: number; rpm?: number; itpm?: number; otpm?: number } = {},
): Promise<{ id: number; key: string }> {
  const key = generateKey();
  const id = await newId(sql, 'INSERT INTO api_keys (key_hash, preview, name, user_id, service_account_id, expires_at, rpm, itpm, otpm) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)', [
    hashKey(key),
    keyPreview(key),
    opts.name ?? 'key',
    userId,
    opts.serviceAccountId ?? null,
    opts.expiresAt ?? null,
    opts.rpm ?? null,
    opts.itpm ?? null,
    opts.otpm ?? null,
  ]);
  return { id, key };
}

/** Runs `write` and logs `changes` in one transaction, as the management stores do. */
export async function changed(sql: Sql, changes: AccessChange[], write: (tx: Sql) => Promise<unknown> = async () => {}): Promise<void> {
  await sql.transaction(async (tx) => {
    await write(tx);
    await recordAccessChangesSql(tx, changes);
  });
}

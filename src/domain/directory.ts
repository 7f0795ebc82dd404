/**
 * Orgs, teams, users, team membership and service accounts: the operations shared by the admin API and
 * the operator commands. Every write bumps the `access` revision in its transaction, so key caches in
 * every process pick the change up (this process reloads at once; see KeyCache).
 * Keys themselves live in TokenService (tokens.ts).
 *
 * The SQL runs on SQLite and PostgreSQL alike, through the async Sql port (src/db/sql.ts). A name or email
 * already taken is a conflict refusal on both, also when two creations race (the unique index decides).
 */
import { lockRow } from '../db/row-lock';
import type { Sql, SqlValue } from '../db/sql';
import type { orgs, serviceAccounts, teams, users } from '../db/schema';
import { isUniqueViolation } from '../db/unique-violation';
import { asBool, assignments, columns, fromRow, placeholders, type Table } from './directory-rows';
import type { Role } from './key-cache';
import { Refusal } from './refusal';
import { recordAccessChangesSql, type AccessChange } from './revisions';
import { DEFAULT_ORG, TokenService } from './tokens';

/** Exclusions and limits, as set on an org, team, user (and, limits only, a key). */
export interface PolicyPatch {
  excludedModels?: string[];
  mergeModelExclusions?: boolean;
  excludedMcpServers?: string[];
  mergeMcpExclusions?: boolean;
  rpm?: number | null;
  itpm?: number | null;
  otpm?: number | null;
}

/** Pooled limits of a team or org: per-minute totals that all its keys share (null: no pool). */
export interface PoolPatch {
  poolRpm?: number | null;
  poolItpm?: number | null;
  poolOtpm?: number | null;
}

export type Org = typeof orgs.$inferSelect;
export type Team = typeof teams.$inferSelect;
export type User = typeof users.$inferSelect;
export type ServiceAccount = typeof serviceAccounts.$inferSelect;
/** How much an org holds: its users, teams, and live keys (not revoked, not expired; service accounts' too). */
export interface OrgCounts {
  users: number;
  teams: number;
  keys: number;
}
export interface Member {
  userId: number;
  email: string;
  isAdmin: boolean;
}

const policy = { excludedModels: 'json', mergeModelExclusions: 'bool', excludedMcpServers: 'json', mergeMcpExclusions: 'bool', rpm: 'big', itpm: 'big', otpm: 'big' } as const;
const pool = { poolRpm: 'big', poolItpm: 'big', poolOtpm: 'big' } as const;
const ORGS: Table<Org> = { name: 'orgs', fields: { id: 'id', name: 'text', createdAt: 'big', ...policy, ...pool } };
const TEAMS: Table<Team> = { name: 'teams', fields: { id: 'id', orgId: 'id', name: 'text', description: 'text', createdAt: 'big', oidcGroup: 'text', ...policy, ...pool } };
const USERS: Table<User> = { name: 'users', fields: { id: 'id', email: 'text', orgId: 'id', role: 'text', createdAt: 'big', oidcIssuer: 'text', oidcSubject: 'text', ...policy } };
const SERVICE_ACCOUNTS: Table<ServiceAccount> = { name: 'service_accounts', fields: { id: 'id', teamId: 'id', name: 'text', description: 'text', createdAt: 'big' } };

const conflict = (message: string) => new Refusal('conflict', message, { code: 'conflict', final: true });

/** A unique-constraint failure (either dialect), turned into a 409 the caller can act on. */
async function uniquely<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (isUniqueViolation(err)) throw conflict(`${what} already exists.`);
    throw err;
  }
}

export class Directory {
  readonly tokens: TokenService;

  constructor(private readonly sql: Sql) {
    this.tokens = new TokenService(sql);
  }

  /**
   * Runs a write in one transaction, recording what it touched (the keys whose access may have changed:
   * key caches apply just those) and bumping the access revision with it. `fn` may add to `touched` what it
   * finds in the transaction (the keys of what it deletes).
   */
  private write<T>(fn: (tx: Sql, touched: AccessChange[]) => Promise<T>, touched: AccessChange[] = []): Promise<T> {
    return this.sql.transaction(async (tx) => {
      const out = await fn(tx, touched);
      await recordAccessChangesSql(tx, touched);
      return out;
    });
  }

  /** Rows of a table as its objects: `SELECT <its columns> FROM <table> <tail>`. */
  private async select<T>(t: Table<T>, tail: string, params: SqlValue[] = []): Promise<T[]> {
    return (await this.sql.rows(`SELECT ${columns(this.sql, t)} FROM ${t.name} ${tail}`, params)).map((r) => fromRow(t, r));
  }

  private async one<T>(t: Table<T>, tail: string, params: SqlValue[]): Promise<T | undefined> {
    return (await this.select(t, tail, params))[0];
  }

  /** Sets a patch on one row and returns it (undefined: no such row). */
  private async update<T>(t: Table<T>, id: number, patch: Partial<T>, touched: AccessChange[]): Promise<T | undefined> {
    const { set, params } = assignments(t, patch);
    if (set === '') return this.one(t, 'WHERE id = ?', [id]);
    return this.write(async (tx) => {
      const row = await tx.get(`UPDATE ${t.name} SET ${set} WHERE id = ? RETURNING ${columns(tx, t)}`, [...params, id]);
      return row && fromRow(t, row);
    }, touched);
  }

  /** Inserts one row and returns it. */
  private async insert<T>(t: Table<T>, cols: string[], values: SqlValue[], tx: Sql): Promise<T> {
    const row = await tx.get(`INSERT INTO ${t.name} (${cols.join(', ')}) VALUES ${placeholders(values.length)} RETURNING ${columns(tx, t)}`, values);
    return fromRow(t, row!);
  }

  // --- orgs ---

  createOrg(name: string): Promise<Org> {
    return uniquely(`An org named "${name}"`, () => this.write((tx) => this.insert(ORGS, ['name'], [name], tx)));
  }

  listOrgs(ids?: number[]): Promise<Org[]> {
    if (ids === undefined) return this.select(ORGS, 'ORDER BY id');
    if (ids.length === 0) return Promise.resolve([]);
    return this.select(ORGS, `WHERE id IN ${placeholders(ids.length)} ORDER BY id`, ids);
  }

  org(id: number): Promise<Org | undefined> {
    return this.one(ORGS, 'WHERE id = ?', [id]);
  }

  /** Users, teams and live keys per org id (a service account's key counts in its team's org). */
  async orgCounts(now = Date.now()): Promise<Map<number, OrgCounts>> {
    const n = (expr: string) => this.sql.num(`(${expr})`);
    const rows = await this.sql.rows<{ id: number } & OrgCounts>(
      `SELECT o.id,
              ${n('SELECT count(*) FROM users u WHERE u.org_id = o.id')} AS users,
              ${n('SELECT count(*) FROM teams t WHERE t.org_id = o.id')} AS teams,
              ${n(`SELECT count(*) FROM api_keys k
                     JOIN users u ON u.id = k.user_id
                     LEFT JOIN service_accounts sa ON sa.id = k.service_account_id
                     LEFT JOIN teams t ON t.id = sa.team_id
                    WHERE coalesce(t.org_id, u.org_id) = o.id AND k.revoked_at IS NULL AND (k.expires_at IS NULL OR k.expires_at > ?)`)} AS keys
         FROM orgs o`,
      [now],
    );
    return new Map(rows.map((r) => [r.id, { users: r.users, teams: r.teams, keys: r.keys }]));
  }

  orgByName(name: string): Promise<Org | undefined> {
    return this.one(ORGS, 'WHERE name = ?', [name]);
  }

  updateOrg(id: number, patch: PolicyPatch & PoolPatch & { name?: string }): Promise<Org | undefined> {
    return uniquely(`An org named "${patch.name}"`, () => this.update(ORGS, id, patch, [{ kind: 'org', ref: id }]));
  }

  // --- teams ---

  createTeam(orgId: number, name: string, description = ''): Promise<Team> {
    return uniquely(`A team named "${name}" in this org`, () => this.write((tx) => this.insert(TEAMS, ['org_id', 'name', 'description'], [orgId, name, description], tx)));
  }

  listTeams(filter: { orgId?: number; ids?: number[] } = {}): Promise<Team[]> {
    const conds: string[] = [];
    const params: SqlValue[] = [];
    if (filter.orgId !== undefined) conds.push('org_id = ?'), params.push(filter.orgId);
    if (filter.ids !== undefined) {
      if (filter.ids.length === 0) return Promise.resolve([]);
      conds.push(`id IN ${placeholders(filter.ids.length)}`), params.push(...filter.ids);
    }
    return this.select(TEAMS, `${conds.length > 0 ? `WHERE ${conds.join(' AND ')}` : ''} ORDER BY id`, params);
  }

  team(id: number): Promise<Team | undefined> {
    return this.one(TEAMS, 'WHERE id = ?', [id]);
  }

  teamByName(orgId: number, name: string): Promise<Team | undefined> {
    return this.one(TEAMS, 'WHERE org_id = ? AND name = ?', [orgId, name]);
  }

  updateTeam(id: number, patch: PolicyPatch & PoolPatch & { name?: string; description?: string }): Promise<Team | undefined> {
    return uniquely(`A team named "${patch.name}" in this org`, () => this.update(TEAMS, id, patch, [{ kind: 'team', ref: id }]));
  }

  /**
   * Deletes the team with its service accounts and their keys (the keys first: their reference to the
   * service account has no ON DELETE action; the service accounts and memberships go with the team).
   */
  deleteTeam(id: number): Promise<boolean> {
    return this.write(async (tx, touched) => {
      const keys = await tx.rows<{ id: number }>('DELETE FROM api_keys WHERE service_account_id IN (SELECT id FROM service_accounts WHERE team_id = ?) RETURNING id', [id]);
      touched.push(...keys.map((k): AccessChange => ({ kind: 'key', ref: k.id })));
      return (await tx.run('DELETE FROM teams WHERE id = ?', [id])) > 0;
    });
  }

  async members(teamId: number): Promise<Member[]> {
    const rows = await this.sql.rows<{ user_id: number; email: string; is_admin: unknown }>(
      'SELECT u.id AS user_id, u.email, m.is_admin FROM team_members m INNER JOIN users u ON u.id = m.user_id WHERE m.team_id = ?',
      [teamId],
    );
    // Sorted here, by code unit: ORDER BY would follow the database's collation, which differs per dialect.
    return rows.map((r) => ({ userId: r.user_id, email: r.email, isAdmin: asBool(r.is_admin) })).sort((a, b) => (a.email < b.email ? -1 : a.email > b.email ? 1 : 0));
  }

  async membership(teamId: number, userId: number): Promise<{ isAdmin: boolean } | undefined> {
    const row = await this.sql.get<{ is_admin: unknown }>('SELECT is_admin FROM team_members WHERE team_id = ? AND user_id = ?', [teamId, userId]);
    return row && { isAdmin: asBool(row.is_admin) };
  }

  /** Teams a user belongs to, with the admin flag. */
  async teamsOf(userId: number): Promise<{ teamId: number; isAdmin: boolean }[]> {
    const rows = await this.sql.rows<{ team_id: number; is_admin: unknown }>('SELECT team_id, is_admin FROM team_members WHERE user_id = ? ORDER BY team_id', [userId]);
    return rows.map((r) => ({ teamId: r.team_id, isAdmin: asBool(r.is_admin) }));
  }

  /**
   * Adds a member (or changes the admin flag of one). The user must be in the team's org. The team's
   * service-account keys are read again: who its admins are decides whether they work under the terms of
   * service (src/domain/terms.ts).
   */
  async setMember(teamId: number, userId: number, isAdmin: boolean): Promise<void> {
    // TRUE/FALSE: booleans on PostgreSQL, 1/0 on SQLite.
    const flag = isAdmin ? 'TRUE' : 'FALSE';
    await this.write(
      (tx) => tx.run(`INSERT INTO team_members (team_id, user_id, is_admin) VALUES (?, ?, ${flag}) ON CONFLICT (team_id, user_id) DO UPDATE SET is_admin = ${flag}`, [teamId, userId]),
      [{ kind: 'team', ref: teamId }],
    );
  }

  removeMember(teamId: number, userId: number): Promise<boolean> {
    return this.write(async (tx) => (await tx.run('DELETE FROM team_members WHERE team_id = ? AND user_id = ?', [teamId, userId])) > 0, [{ kind: 'team', ref: teamId }]);
  }

  // --- users ---

  createUser(email: string, orgId: number, role: Role = 'user'): Promise<User> {
    return uniquely(`A user with email ${email}`, () => this.write((tx) => this.insert(USERS, ['email', 'org_id', 'role'], [email, orgId, role], tx)));
  }

  listUsers(orgId?: number): Promise<User[]> {
    return orgId !== undefined ? this.select(USERS, 'WHERE org_id = ? ORDER BY id', [orgId]) : this.select(USERS, 'ORDER BY id');
  }

  user(id: number): Promise<User | undefined> {
    return this.one(USERS, 'WHERE id = ?', [id]);
  }

  userByEmail(email: string): Promise<User | undefined> {
    return this.one(USERS, 'WHERE email = ?', [email]);
  }

  updateUser(id: number, patch: PolicyPatch & { role?: Role }): Promise<User | undefined> {
    return this.update(USERS, id, patch, [{ kind: 'user', ref: id }]);
  }

  // --- service accounts ---

  /**
   * Creates a service account and its one key; the raw key is returned once. `max`: the most service
   * accounts the team may have (each key has its own budget, so they must not multiply at will); counted
   * in the same transaction, after locking the team's row (db/row-lock.ts), so concurrent creations cannot
   * overshoot.
   */
  createServiceAccount(teamId: number, name: string, description: string, createdBy: number, max = Infinity): Promise<{ serviceAccount: ServiceAccount; key: string; keyId: number }> {
    return uniquely(`A service account named "${name}" in this team`, () =>
      this.write(async (tx) => {
        await lockRow(tx, 'teams', teamId);
        const existing = (await tx.get<{ n: number }>(`SELECT ${tx.num('count(*)')} AS n FROM service_accounts WHERE team_id = ?`, [teamId]))!.n;
        if (existing >= max) {
          throw new Refusal('forbidden', `Service-account limit reached: a team may have ${max} service accounts. Delete one first.`, { code: 'permission_denied', final: true });
        }
        const serviceAccount = await this.insert(SERVICE_ACCOUNTS, ['team_id', 'name', 'description'], [teamId, name, description], tx);
        const { key, id } = await new TokenService(tx).createKey(createdBy, `service account ${name}`, null, serviceAccount.id);
        return { serviceAccount, key, keyId: id };
      }),
    );
  }

  async listServiceAccounts(teamId: number): Promise<(ServiceAccount & { keyPreview: string | null; keyId: number | null })[]> {
    const rows = await this.sql.rows(
      `SELECT ${columns(this.sql, SERVICE_ACCOUNTS, 'sa')}, k.preview AS key_preview, k.id AS key_id
         FROM service_accounts sa LEFT JOIN api_keys k ON k.service_account_id = sa.id
        WHERE sa.team_id = ? ORDER BY sa.id`,
      [teamId],
    );
    return rows.map((r) => ({ ...fromRow(SERVICE_ACCOUNTS, r), keyPreview: r.key_preview as string | null, keyId: r.key_id as number | null }));
  }

  serviceAccount(id: number): Promise<ServiceAccount | undefined> {
    return this.one(SERVICE_ACCOUNTS, 'WHERE id = ?', [id]);
  }

  /** Deletes the service account and, with it, its key. */
  deleteServiceAccount(id: number): Promise<boolean> {
    return this.write(async (tx, touched) => {
      const keys = await tx.rows<{ id: number }>('DELETE FROM api_keys WHERE service_account_id = ? RETURNING id', [id]);
      touched.push(...keys.map((k): AccessChange => ({ kind: 'key', ref: k.id })));
      return (await tx.run('DELETE FROM service_accounts WHERE id = ?', [id])) > 0;
    });
  }

  defaultOrgId(): Promise<number> {
    return this.tokens.ensureOrg(DEFAULT_ORG);
  }
}

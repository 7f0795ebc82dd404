/**
 * Orgs, teams, users, team membership and service accounts: the operations shared by the admin API and
 * the operator commands. Every write bumps the `access` revision in its transaction, so key caches in
 * every process pick the change up (this process reloads at once; see KeyCache).
 * Keys themselves live in TokenService (tokens.ts).
 */
import { and, asc, count, eq, inArray } from 'drizzle-orm';
import type { DbHandle } from '../db/connection';
import { apiKeys, orgs, serviceAccounts, teamMembers, teams, users } from '../db/schema';
import { Refusal } from './refusal';
import type { Role } from './key-cache';
import { recordAccessChanges, type AccessChange } from './revisions';
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

const conflict = (message: string) => new Refusal('conflict', message, { code: 'conflict', final: true });

/** SQLite's unique-constraint failure, turned into a 409 the caller can act on. */
function uniquely<T>(what: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (String((err as Error).message).includes('UNIQUE constraint failed')) throw conflict(`${what} already exists.`);
    throw err;
  }
}

export class Directory {
  readonly tokens: TokenService;

  constructor(private readonly h: DbHandle) {
    this.tokens = new TokenService(h);
  }

  /**
   * Runs a write in one transaction, recording what it touched (the keys whose access may have changed:
   * key caches apply just those) and bumping the access revision with it.
   */
  private write<T>(fn: () => T, touched: AccessChange[] = []): T {
    return this.h.sqlite.transaction(() => {
      const out = fn();
      recordAccessChanges(this.h.sqlite, touched);
      return out;
    }).immediate();
  }

  // --- orgs ---

  createOrg(name: string): Org {
    return uniquely(`An org named "${name}"`, () => this.write(() => this.h.db.insert(orgs).values({ name }).returning().get()));
  }

  listOrgs(ids?: number[]): Org[] {
    const q = this.h.db.select().from(orgs);
    return (ids ? q.where(inArray(orgs.id, ids)) : q).orderBy(asc(orgs.id)).all();
  }

  org(id: number): Org | undefined {
    return this.h.db.select().from(orgs).where(eq(orgs.id, id)).get();
  }

  /** Users, teams and live keys per org id (a service account's key counts in its team's org). */
  orgCounts(now = Date.now()): Map<number, OrgCounts> {
    const rows = this.h.sqlite
      .query<{ id: number } & OrgCounts, [number]>(
        `SELECT o.id,
                (SELECT count(*) FROM users u WHERE u.org_id = o.id) AS users,
                (SELECT count(*) FROM teams t WHERE t.org_id = o.id) AS teams,
                (SELECT count(*) FROM api_keys k
                   JOIN users u ON u.id = k.user_id
                   LEFT JOIN service_accounts sa ON sa.id = k.service_account_id
                   LEFT JOIN teams t ON t.id = sa.team_id
                  WHERE coalesce(t.org_id, u.org_id) = o.id AND k.revoked_at IS NULL AND (k.expires_at IS NULL OR k.expires_at > ?1)) AS keys
           FROM orgs o`,
      )
      .all(now);
    return new Map(rows.map((r) => [r.id, { users: r.users, teams: r.teams, keys: r.keys }]));
  }

  orgByName(name: string): Org | undefined {
    return this.h.db.select().from(orgs).where(eq(orgs.name, name)).get();
  }

  updateOrg(id: number, patch: PolicyPatch & PoolPatch & { name?: string }): Org | undefined {
    if (Object.keys(patch).length === 0) return this.org(id);
    return uniquely(`An org named "${patch.name}"`, () => this.write(() => this.h.db.update(orgs).set(patch).where(eq(orgs.id, id)).returning().get(), [{ kind: 'org', ref: id }]));
  }

  // --- teams ---

  createTeam(orgId: number, name: string, description = ''): Team {
    return uniquely(`A team named "${name}" in this org`, () => this.write(() => this.h.db.insert(teams).values({ orgId, name, description }).returning().get()));
  }

  listTeams(filter: { orgId?: number; ids?: number[] } = {}): Team[] {
    const conds = [filter.orgId !== undefined ? eq(teams.orgId, filter.orgId) : undefined, filter.ids ? inArray(teams.id, filter.ids) : undefined].filter((c) => c !== undefined);
    return this.h.db.select().from(teams).where(and(...conds)).orderBy(asc(teams.id)).all();
  }

  team(id: number): Team | undefined {
    return this.h.db.select().from(teams).where(eq(teams.id, id)).get();
  }

  teamByName(orgId: number, name: string): Team | undefined {
    return this.h.db.select().from(teams).where(and(eq(teams.orgId, orgId), eq(teams.name, name))).get();
  }

  updateTeam(id: number, patch: PolicyPatch & PoolPatch & { name?: string; description?: string }): Team | undefined {
    if (Object.keys(patch).length === 0) return this.team(id);
    return uniquely(`A team named "${patch.name}" in this org`, () => this.write(() => this.h.db.update(teams).set(patch).where(eq(teams.id, id)).returning().get(), [{ kind: 'team', ref: id }]));
  }

  /** Deletes the team with its service accounts and their keys. */
  deleteTeam(id: number): boolean {
    return this.write(() => {
      for (const sa of this.h.db.select({ id: serviceAccounts.id }).from(serviceAccounts).where(eq(serviceAccounts.teamId, id)).all()) this.deleteServiceAccount(sa.id);
      return this.h.db.delete(teams).where(eq(teams.id, id)).returning({ id: teams.id }).all().length > 0;
    });
  }

  members(teamId: number): Member[] {
    return this.h.db
      .select({ userId: users.id, email: users.email, isAdmin: teamMembers.isAdmin })
      .from(teamMembers)
      .innerJoin(users, eq(users.id, teamMembers.userId))
      .where(eq(teamMembers.teamId, teamId))
      .orderBy(asc(users.email))
      .all();
  }

  membership(teamId: number, userId: number): { isAdmin: boolean } | undefined {
    return this.h.db.select({ isAdmin: teamMembers.isAdmin }).from(teamMembers).where(and(eq(teamMembers.teamId, teamId), eq(teamMembers.userId, userId))).get();
  }

  /** Teams a user belongs to, with the admin flag. */
  teamsOf(userId: number): { teamId: number; isAdmin: boolean }[] {
    return this.h.db.select({ teamId: teamMembers.teamId, isAdmin: teamMembers.isAdmin }).from(teamMembers).where(eq(teamMembers.userId, userId)).all();
  }

  /**
   * Adds a member (or changes the admin flag of one). The user must be in the team's org. The team's
   * service-account keys are read again: who its admins are decides whether they work under the terms of
   * service (src/domain/terms.ts).
   */
  setMember(teamId: number, userId: number, isAdmin: boolean): void {
    this.write(
      () =>
        this.h.db
          .insert(teamMembers)
          .values({ teamId, userId, isAdmin })
          .onConflictDoUpdate({ target: [teamMembers.teamId, teamMembers.userId], set: { isAdmin } })
          .run(),
      [{ kind: 'team', ref: teamId }],
    );
  }

  removeMember(teamId: number, userId: number): boolean {
    return this.write(
      () => this.h.db.delete(teamMembers).where(and(eq(teamMembers.teamId, teamId), eq(teamMembers.userId, userId))).returning().all().length > 0,
      [{ kind: 'team', ref: teamId }],
    );
  }

  // --- users ---

  createUser(email: string, orgId: number, role: Role = 'user'): User {
    return uniquely(`A user with email ${email}`, () => this.write(() => this.h.db.insert(users).values({ email, orgId, role }).returning().get()));
  }

  listUsers(orgId?: number): User[] {
    const q = this.h.db.select().from(users);
    return (orgId !== undefined ? q.where(eq(users.orgId, orgId)) : q).orderBy(asc(users.id)).all();
  }

  user(id: number): User | undefined {
    return this.h.db.select().from(users).where(eq(users.id, id)).get();
  }

  userByEmail(email: string): User | undefined {
    return this.h.db.select().from(users).where(eq(users.email, email)).get();
  }

  updateUser(id: number, patch: PolicyPatch & { role?: Role }): User | undefined {
    if (Object.keys(patch).length === 0) return this.user(id);
    return this.write(() => this.h.db.update(users).set(patch).where(eq(users.id, id)).returning().get(), [{ kind: 'user', ref: id }]);
  }

  // --- service accounts ---

  /**
   * Creates a service account and its one key; the raw key is returned once. `max`: the most service
   * accounts the team may have (each key has its own budget, so they must not multiply at will); counted
   * in the same transaction, so concurrent creations cannot overshoot.
   */
  createServiceAccount(teamId: number, name: string, description: string, createdBy: number, max = Infinity): { serviceAccount: ServiceAccount; key: string; keyId: number } {
    return uniquely(`A service account named "${name}" in this team`, () =>
      this.write(() => {
        const existing = this.h.db.select({ n: count() }).from(serviceAccounts).where(eq(serviceAccounts.teamId, teamId)).get()!.n;
        if (existing >= max) {
          throw new Refusal('forbidden', `Service-account limit reached: a team may have ${max} service accounts. Delete one first.`, { code: 'permission_denied', final: true });
        }
        const serviceAccount = this.h.db.insert(serviceAccounts).values({ teamId, name, description }).returning().get();
        const { key, id } = this.tokens.createKey(createdBy, `service account ${name}`, null, serviceAccount.id);
        return { serviceAccount, key, keyId: id };
      }),
    );
  }

  listServiceAccounts(teamId: number): (ServiceAccount & { keyPreview: string | null; keyId: number | null })[] {
    return this.h.db
      .select({ ...serviceAccountColumns, keyPreview: apiKeys.preview, keyId: apiKeys.id })
      .from(serviceAccounts)
      .leftJoin(apiKeys, eq(apiKeys.serviceAccountId, serviceAccounts.id))
      .where(eq(serviceAccounts.teamId, teamId))
      .orderBy(asc(serviceAccounts.id))
      .all();
  }

  serviceAccount(id: number): ServiceAccount | undefined {
    return this.h.db.select().from(serviceAccounts).where(eq(serviceAccounts.id, id)).get();
  }

  /** Deletes the service account and, with it, its key. */
  deleteServiceAccount(id: number): boolean {
    const keys = this.h.db.select({ id: apiKeys.id }).from(apiKeys).where(eq(apiKeys.serviceAccountId, id)).all();
    return this.write(() => {
      this.h.db.delete(apiKeys).where(eq(apiKeys.serviceAccountId, id)).run();
      return this.h.db.delete(serviceAccounts).where(eq(serviceAccounts.id, id)).returning().all().length > 0;
    }, keys.map((k) => ({ kind: 'key', ref: k.id })));
  }

  defaultOrgId(): number {
    return this.tokens.ensureOrg(DEFAULT_ORG);
  }
}

const serviceAccountColumns = {
  id: serviceAccounts.id,
  teamId: serviceAccounts.teamId,
  name: serviceAccounts.name,
  description: serviceAccounts.description,
  createdAt: serviceAccounts.createdAt,
};

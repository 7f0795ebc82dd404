/**
 * Single sign-on, the account part: after the provider vouched for a person and oidc-mapping.ts said what
 * they are, one transaction finds or creates their user, follows an email change, re-checks the admin role
 * and syncs team membership. Either all of it happens or none (a refusal rolls it back): never a
 * half-created user.
 *
 * - A user is identified by issuer + `sub`. A first sign-in whose email already belongs to a user who never
 *   signed in this way links that user (a person given a key before single sign-on keeps it); an email
 *   that belongs to another identity is refused.
 * - The org is decided at the first sign-in (created when missing); later sign-ins do not move the user.
 * - Admin groups, when set, decide the `admin` role both ways; an org-admin set by hand stays one.
 * - Team sync: a group's team is the team made from that group (teams.oidc_group), else one is created
 *   (when allowed) under the captured name. A team made by hand is never joined, renamed or left; a
 *   membership added by hand is never removed. Memberships the sync added (via_group) go when their group
 *   no longer maps to that team.
 */
import { and, eq, inArray } from 'drizzle-orm';
import type { DbHandle } from '../db/connection';
import { orgs, teamMembers, teams, users } from '../db/schema';
import type { Role } from './key-cache';
import type { GroupTeam } from './oidc-mapping';
import { recordAccessChanges } from './revisions';

export interface SignInFacts {
  issuer: string;
  subject: string;
  email: string;
  org: string;
  admin: boolean | undefined;
  teams: GroupTeam[] | undefined;
  createTeams: boolean;
}

export type SignInOutcome =
  | { ok: true; userId: number; created: boolean; role: Role; joined: string[]; left: string[]; skipped: string[] }
  | { ok: false; reason: 'email_taken' };

class Refused extends Error {
  constructor(readonly reason: 'email_taken') {
    super(reason);
  }
}

export function signInFromProvider(h: DbHandle, f: SignInFacts): SignInOutcome {
  try {
    return h.sqlite.transaction(() => apply(h, f)).immediate();
  } catch (err) {
    if (err instanceof Refused) return { ok: false, reason: err.reason };
    throw err;
  }
}

function apply(h: DbHandle, f: SignInFacts): SignInOutcome {
  const db = h.db;
  let created = false;
  let user = db
    .select()
    .from(users)
    .where(and(eq(users.oidcIssuer, f.issuer), eq(users.oidcSubject, f.subject)))
    .get();
  const byEmail = db.select().from(users).where(eq(users.email, f.email)).get();
  if (user === undefined) {
    if (byEmail !== undefined) {
      if (byEmail.oidcIssuer !== null) throw new Refused('email_taken');
      user = db.update(users).set({ oidcIssuer: f.issuer, oidcSubject: f.subject }).where(eq(users.id, byEmail.id)).returning().get()!;
    } else {
      const orgId = db.select({ id: orgs.id }).from(orgs).where(eq(orgs.name, f.org)).get()?.id ?? db.insert(orgs).values({ name: f.org }).returning({ id: orgs.id }).get().id;
      user = db
        .insert(users)
        .values({ email: f.email, orgId, role: f.admin === true ? 'admin' : 'user', oidcIssuer: f.issuer, oidcSubject: f.subject })
        .returning()
        .get();
      created = true;
    }
  } else if (user.email !== f.email) {
    // The email changed at the provider: it follows the user, unless someone else has it.
    if (byEmail !== undefined) throw new Refused('email_taken');
    user = db.update(users).set({ email: f.email }).where(eq(users.id, user.id)).returning().get()!;
  }

  let role = user.role;
  if (f.admin === true && role !== 'admin') role = 'admin';
  if (f.admin === false && role === 'admin') role = 'user';
  if (role !== user.role) db.update(users).set({ role }).where(eq(users.id, user.id)).run();

  const sync = f.teams === undefined ? { joined: [], left: [], skipped: [] } : syncTeams(h, user.id, user.orgId, f.teams, f.createTeams);
  recordAccessChanges(h.sqlite, [{ kind: 'user', ref: user.id }]);
  return { ok: true, userId: user.id, created, role, ...sync };
}

function syncTeams(h: DbHandle, userId: number, orgId: number, wanted: GroupTeam[], createTeams: boolean) {
  const db = h.db;
  const joined: string[] = [];
  const skipped: string[] = [];
  const keep = new Set<number>();
  for (const { name, group } of wanted) {
    let team = db
      .select({ id: teams.id, name: teams.name })
      .from(teams)
      .where(and(eq(teams.orgId, orgId), eq(teams.oidcGroup, group)))
      .get();
    if (team === undefined) {
      // A team of that name made by hand (or from another group) is never taken over.
      if (!createTeams || db.select({ id: teams.id }).from(teams).where(and(eq(teams.orgId, orgId), eq(teams.name, name))).get() !== undefined) {
        skipped.push(name);
        continue;
      }
      team = db.insert(teams).values({ orgId, name, oidcGroup: group, description: `Made by single sign-on from the group ${group}` }).returning({ id: teams.id, name: teams.name }).get();
    }
    keep.add(team.id);
    const inserted = db.insert(teamMembers).values({ teamId: team.id, userId, isAdmin: false, viaGroup: true }).onConflictDoNothing().returning().all();
    if (inserted.length > 0) joined.push(team.name);
  }
  // Memberships the sync made whose group no longer maps to the team.
  const stale = db
    .select({ teamId: teamMembers.teamId, name: teams.name })
    .from(teamMembers)
    .innerJoin(teams, eq(teams.id, teamMembers.teamId))
    .where(and(eq(teamMembers.userId, userId), eq(teamMembers.viaGroup, true)))
    .all()
    .filter((m) => !keep.has(m.teamId));
  if (stale.length > 0) {
    db.delete(teamMembers)
      .where(and(eq(teamMembers.userId, userId), inArray(teamMembers.teamId, stale.map((m) => m.teamId))))
      .run();
  }
  return { joined, left: stale.map((m) => m.name), skipped };
}

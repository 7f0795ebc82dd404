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
 *
 * The SQL runs on SQLite and PostgreSQL alike, through the async Sql port (src/db/sql.ts), in one
 * `sql.transaction`.
 */
import type { Sql } from '../db/sql';
import type { Role } from './key-cache';
import type { GroupTeam } from './oidc-mapping';
import { recordAccessChangesSql } from './revisions';

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

interface UserRow {
  id: number;
  email: string;
  org_id: number;
  role: Role;
  oidc_issuer: string | null;
}

const USER = 'SELECT id, email, org_id, role, oidc_issuer FROM users';

export async function signInFromProvider(sql: Sql, f: SignInFacts): Promise<SignInOutcome> {
  try {
    return await sql.transaction((tx) => apply(tx, f));
  } catch (err) {
    if (err instanceof Refused) return { ok: false, reason: err.reason };
    throw err;
  }
}

async function apply(tx: Sql, f: SignInFacts): Promise<SignInOutcome> {
  let created = false;
  let user = await tx.get<UserRow>(`${USER} WHERE oidc_issuer = ? AND oidc_subject = ?`, [f.issuer, f.subject]);
  const byEmail = await tx.get<UserRow>(`${USER} WHERE email = ?`, [f.email]);
  if (user === undefined) {
    if (byEmail !== undefined) {
      if (byEmail.oidc_issuer !== null) throw new Refused('email_taken');
      await tx.run('UPDATE users SET oidc_issuer = ?, oidc_subject = ? WHERE id = ?', [f.issuer, f.subject, byEmail.id]);
      user = { ...byEmail, oidc_issuer: f.issuer };
    } else {
      const orgId =
        (await tx.get<{ id: number }>('SELECT id FROM orgs WHERE name = ?', [f.org]))?.id ??
        (await tx.get<{ id: number }>('INSERT INTO orgs (name) VALUES (?) RETURNING id', [f.org]))!.id;
      user = (await tx.get<UserRow>('INSERT INTO users (email, org_id, role, oidc_issuer, oidc_subject) VALUES (?, ?, ?, ?, ?) RETURNING id, email, org_id, role, oidc_issuer', [
        f.email,
        orgId,
        f.admin === true ? 'admin' : 'user',
        f.issuer,
        f.subject,
      ]))!;
      created = true;
    }
  } else if (user.email !== f.email) {
    // The email changed at the provider: it follows the user, unless someone else has it.
    if (byEmail !== undefined) throw new Refused('email_taken');
    await tx.run('UPDATE users SET email = ? WHERE id = ?', [f.email, user.id]);
    user = { ...user, email: f.email };
  }

  let role = user.role;
  if (f.admin === true && role !== 'admin') role = 'admin';
  if (f.admin === false && role === 'admin') role = 'user';
  if (role !== user.role) await tx.run('UPDATE users SET role = ? WHERE id = ?', [role, user.id]);

  const sync = f.teams === undefined ? { joined: [], left: [], skipped: [] } : await syncTeams(tx, user.id, user.org_id, f.teams, f.createTeams);
  await recordAccessChangesSql(tx, [{ kind: 'user', ref: user.id }]);
  return { ok: true, userId: user.id, created, role, ...sync };
}

async function syncTeams(tx: Sql, userId: number, orgId: number, wanted: GroupTeam[], createTeams: boolean) {
  const joined: string[] = [];
  const skipped: string[] = [];
  const keep = new Set<number>();
  for (const { name, group } of wanted) {
    let team = await tx.get<{ id: number; name: string }>('SELECT id, name FROM teams WHERE org_id = ? AND oidc_group = ?', [orgId, group]);
    if (team === undefined) {
      // A team of that name made by hand (or from another group) is never taken over.
      if (!createTeams || (await tx.get('SELECT id FROM teams WHERE org_id = ? AND name = ?', [orgId, name])) !== undefined) {
        skipped.push(name);
        continue;
      }
      team = (await tx.get<{ id: number; name: string }>('INSERT INTO teams (org_id, name, oidc_group, description) VALUES (?, ?, ?, ?) RETURNING id, name', [
        orgId,
        name,
        group,
        `Made by single sign-on from the group ${group}`,
      ]))!;
    }
    keep.add(team.id);
    // TRUE/FALSE: booleans on PostgreSQL, 1/0 on SQLite.
    const inserted = await tx.run('INSERT INTO team_members (team_id, user_id, is_admin, via_group) VALUES (?, ?, FALSE, TRUE) ON CONFLICT DO NOTHING', [team.id, userId]);
    if (inserted > 0) joined.push(team.name);
  }
  // Memberships the sync made whose group no longer maps to the team.
  const stale = (
    await tx.rows<{ team_id: number; name: string }>(
      'SELECT m.team_id, t.name FROM team_members m INNER JOIN teams t ON t.id = m.team_id WHERE m.user_id = ? AND m.via_group = TRUE ORDER BY m.team_id',
      [userId],
    )
  ).filter((m) => !keep.has(m.team_id));
  if (stale.length > 0) {
    await tx.run(`DELETE FROM team_members WHERE user_id = ? AND team_id IN (${stale.map(() => '?').join(', ')})`, [userId, ...stale.map((m) => m.team_id)]);
  }
  return { joined, left: stale.map((m) => m.name), skipped };
}

/**
 * Who may see and manage what in the management API. Anything outside a caller's reach is answered
 * with 404, exactly as if it did not exist.
 *
 * - admin: everything;
 * - org-admin: their org, its teams, users (not admins), keys, limits and exclusions;
 * - team admin (a member with the admin flag): that team's members and service accounts;
 * - user: their own profile and personal keys, and a read of the teams they belong to;
 * - a service-account key manages nothing.
 */
import { Refusal } from './refusal';
import type { Directory, Team, User } from './directory';
import type { Principal } from './key-cache';
import type { KeyInfo } from './tokens';

export const notFound = (what: string) => new Refusal('not_found', `No such ${what}.`, { code: 'not_found' });
export const forbidden = (message: string) => new Refusal('forbidden', message, { code: 'permission_denied', final: true });
/** One answer for every user an org-admin may not create (an admin role, an email taken in any org). */
export const cannotCreateUser = () => forbidden('You cannot create this user: ask an admin.');

export class Reach {
  constructor(
    private readonly dir: Directory,
    readonly p: Principal,
  ) {}

  get isServiceAccount(): boolean {
    return this.p.serviceAccountId !== null;
  }

  get isAdmin(): boolean {
    return !this.isServiceAccount && this.p.role === 'admin';
  }

  manageOrg(orgId: number): boolean {
    return this.isAdmin || (!this.isServiceAccount && this.p.role === 'org-admin' && this.p.orgId === orgId);
  }

  seeOrg(orgId: number): boolean {
    return this.manageOrg(orgId) || (!this.isServiceAccount && this.p.orgId === orgId);
  }

  async manageTeam(team: Team): Promise<boolean> {
    return this.manageOrg(team.orgId) || (!this.isServiceAccount && (await this.dir.membership(team.id, this.p.userId))?.isAdmin === true);
  }

  async seeTeam(team: Team): Promise<boolean> {
    return (await this.manageTeam(team)) || (!this.isServiceAccount && (await this.dir.membership(team.id, this.p.userId)) !== undefined);
  }

  /** Managing a user: their role, limits and exclusions. Only admins manage admins. */
  manageUser(user: User): boolean {
    return this.isAdmin || (this.manageOrg(user.orgId) && user.role !== 'admin');
  }

  seeUser(user: User): boolean {
    return this.manageUser(user) || (!this.isServiceAccount && user.id === this.p.userId);
  }

  /** A personal key: its owner and whoever manages the owner. A service-account key: whoever manages the team. */
  async manageKey(key: KeyInfo): Promise<boolean> {
    if (key.serviceAccountId !== null) {
      const sa = await this.dir.serviceAccount(key.serviceAccountId);
      const team = sa && (await this.dir.team(sa.teamId));
      return team !== undefined && (await this.manageTeam(team));
    }
    if (!this.isServiceAccount && key.userId === this.p.userId) return true;
    const owner = await this.dir.user(key.userId);
    return owner !== undefined && this.manageUser(owner);
  }

  /** Limits and exclusions are set by org-admins and admins (not by team admins or users themselves). */
  setPolicyOf(orgId: number): boolean {
    return this.manageOrg(orgId);
  }

  // Lookups that fail with 404 when the object is missing or out of reach.

  async team(id: number, need: 'see' | 'manage' = 'see'): Promise<Team> {
    const team = await this.dir.team(id);
    if (!team || !(await (need === 'see' ? this.seeTeam(team) : this.manageTeam(team)))) throw notFound('team');
    return team;
  }

  async user(id: number, need: 'see' | 'manage' = 'see'): Promise<User> {
    const user = await this.dir.user(id);
    if (!user || !(need === 'see' ? this.seeUser(user) : this.manageUser(user))) throw notFound('user');
    return user;
  }

  /** The org to create something in (default: the caller's): 404 if out of sight, 403 if only visible. */
  async orgToCreateIn(id: number | undefined, what: string): Promise<number> {
    const orgId = id ?? this.p.orgId;
    if (!this.seeOrg(orgId) || !(await this.dir.org(orgId))) throw notFound('org');
    if (!this.manageOrg(orgId)) throw forbidden(`Only org admins create ${what}.`);
    return orgId;
  }

  async org(id: number, need: 'see' | 'manage' = 'see'): Promise<void> {
    if (!(await this.dir.org(id)) || !(need === 'see' ? this.seeOrg(id) : this.manageOrg(id))) throw notFound('org');
  }

  async key(id: number): Promise<KeyInfo> {
    const key = await this.dir.tokens.key(id);
    if (!key || !(await this.manageKey(key))) throw notFound('key');
    return key;
  }
}

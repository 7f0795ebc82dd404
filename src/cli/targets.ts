/** Finding orgs, teams, users and keys named on the command line (by name/email, or by id). */
import { UsageError } from './args';
import type { Directory, Org, Team, User } from '../domain/directory';
import { DEFAULT_ORG } from '../domain/tokens';

export async function findOrg(dir: Directory, ref: string | undefined): Promise<Org> {
  const name = ref ?? DEFAULT_ORG;
  const org = /^\d+$/.test(name) ? await dir.org(Number(name)) : await dir.orgByName(name);
  if (!org) throw new UsageError(`no org "${name}" (see "aqueduct org list")`);
  return org;
}

/** A team by id, or by name within --org (default org when absent). */
export async function findTeam(dir: Directory, ref: string | undefined, orgRef: string | undefined): Promise<Team> {
  if (!ref) throw new UsageError('--team is required');
  const team = /^\d+$/.test(ref) ? await dir.team(Number(ref)) : await dir.teamByName((await findOrg(dir, orgRef)).id, ref);
  if (!team) throw new UsageError(`no team "${ref}" (see "aqueduct team list")`);
  return team;
}

export async function findUser(dir: Directory, ref: string | undefined): Promise<User> {
  if (!ref) throw new UsageError('--user EMAIL is required');
  const user = /^\d+$/.test(ref) ? await dir.user(Number(ref)) : await dir.userByEmail(ref);
  if (!user) throw new UsageError(`no user "${ref}" (see "aqueduct user list")`);
  return user;
}

export type Target = { kind: 'org'; org: Org } | { kind: 'team'; team: Team } | { kind: 'user'; user: User } | { kind: 'token'; id: number };

/** Exactly one of --org, --team (with an optional --org), --user, or (if allowed) --token. */
export async function findTarget(dir: Directory, flags: ReadonlyMap<string, string>, allowToken = false): Promise<Target> {
  const team = flags.get('--team');
  const user = flags.get('--user');
  const token = flags.get('--token');
  const given = [team, user, token].filter((x) => x !== undefined).length + (team === undefined && flags.has('--org') ? 1 : 0);
  const choices = `--org ORG, --team TEAM [--org ORG], --user EMAIL${allowToken ? ' or --token ID' : ''}`;
  if (given !== 1 || (token !== undefined && !allowToken)) throw new UsageError(`name exactly one of ${choices}`);
  if (team !== undefined) return { kind: 'team', team: await findTeam(dir, team, flags.get('--org')) };
  if (user !== undefined) return { kind: 'user', user: await findUser(dir, user) };
  if (token !== undefined) {
    const id = Number(token);
    if (!Number.isInteger(id) || !(await dir.tokens.key(id))) throw new UsageError(`no key with id ${token} (see "aqueduct token list")`);
    return { kind: 'token', id };
  }
  return { kind: 'org', org: await findOrg(dir, flags.get('--org')) };
}

/** Prints rows as an aligned table. */
export function table(out: (line: string) => void, header: string[], rows: string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  for (const r of [header, ...rows]) out(r.map((c, i) => (c ?? '').padEnd(widths[i]!)).join('  ').trimEnd());
}

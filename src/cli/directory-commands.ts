/** Operator commands for orgs, teams, users and service accounts, straight on the database. */
import { UsageError } from './args';
import { defineCommand } from './context';
import { findOrg, findTeam, findUser, table } from './targets';
import { iso, withDirectory } from './with-directory';
import type { Role } from '../domain/key-cache';

const ROLES: Role[] = ['user', 'org-admin', 'admin'];
const orgOption = { flag: '--org', value: 'org', description: 'Org name or id (default: the default org)' };
const teamOption = { flag: '--team', value: 'team', description: 'Team name (within --org) or id' };
const userOption = { flag: '--user', value: 'email', description: 'User email or id' };

function oneName(positional: string[], what: string): string {
  if (positional.length !== 1 || positional[0]!.trim() === '') throw new UsageError(`expected one ${what}`);
  return positional[0]!;
}

export const directoryCommands = [
  defineCommand({
    name: 'org create',
    usage: 'aqueduct org create NAME',
    summary: 'Create an org',
    description: 'Creates an org. Its users, teams, limits and exclusions are managed with the other commands or /admin.',
    async run(args, io) {
      const name = oneName(args.positional, 'org NAME');
      const org = await withDirectory(args.flags, io, (dir) => dir.createOrg(name));
      io.out(`created org ${org.name} (id ${org.id})`);
      return 0;
    },
  }),
  defineCommand({
    name: 'org list',
    usage: 'aqueduct org list',
    summary: 'List orgs',
    description: 'Lists every org with its limits and exclusions.',
    async run(args, io) {
      const orgs = await withDirectory(args.flags, io, (dir) => dir.listOrgs());
      table(io.out, ['ID', 'NAME', 'RPM', 'ITPM', 'OTPM', 'EXCLUDED MODELS', 'CREATED'], orgs.map((o) => [String(o.id), o.name, String(o.rpm ?? '-'), String(o.itpm ?? '-'), String(o.otpm ?? '-'), o.excludedModels.join(',') || '-', iso(o.createdAt)]));
      return 0;
    },
  }),
  defineCommand({
    name: 'team create',
    usage: 'aqueduct team create NAME [--org ORG] [--description TEXT]',
    summary: 'Create a team in an org',
    description: 'Creates a team. Add members with "team add-member", service accounts with "service-account create".',
    options: [orgOption, { flag: '--description', value: 'text', description: 'What the team is for' }],
    async run(args, io) {
      const name = oneName(args.positional, 'team NAME');
      const team = await withDirectory(args.flags, io, async (dir) => dir.createTeam((await findOrg(dir, args.flags.get('--org'))).id, name, args.flags.get('--description') ?? ''));
      io.out(`created team ${team.name} (id ${team.id})`);
      return 0;
    },
  }),
  defineCommand({
    name: 'team list',
    usage: 'aqueduct team list [--org ORG]',
    summary: 'List teams',
    description: 'Lists the teams of one org, or of every org.',
    options: [orgOption],
    async run(args, io) {
      const rows = await withDirectory(args.flags, io, async (dir) => {
        const orgId = args.flags.has('--org') ? (await findOrg(dir, args.flags.get('--org'))).id : undefined;
        const teams = await dir.listTeams({ orgId });
        return Promise.all(teams.map(async (t) => [String(t.id), (await dir.org(t.orgId))!.name, t.name, String((await dir.members(t.id)).length), String(t.rpm ?? '-'), t.description]));
      });
      table(io.out, ['ID', 'ORG', 'NAME', 'MEMBERS', 'RPM', 'DESCRIPTION'], rows);
      return 0;
    },
  }),
  defineCommand({
    name: 'team add-member',
    usage: 'aqueduct team add-member --team TEAM [--org ORG] --user EMAIL [--admin]',
    summary: 'Add a user to a team (or make them its admin)',
    description: "Adds a user of the team's org to the team; --admin makes them a team admin.",
    options: [teamOption, orgOption, userOption, { flag: '--admin', description: 'Make the user a team admin' }],
    async run(args, io) {
      await withDirectory(args.flags, io, async (dir) => {
        const team = await findTeam(dir, args.flags.get('--team'), args.flags.get('--org'));
        const user = await findUser(dir, args.flags.get('--user'));
        if (user.orgId !== team.orgId) throw new UsageError(`${user.email} is not in the team's org`);
        await dir.setMember(team.id, user.id, args.switches.has('--admin'));
        io.out(`${user.email} is ${args.switches.has('--admin') ? 'an admin' : 'a member'} of team ${team.name}`);
      });
      return 0;
    },
  }),
  defineCommand({
    name: 'team remove-member',
    usage: 'aqueduct team remove-member --team TEAM [--org ORG] --user EMAIL',
    summary: 'Remove a user from a team',
    description: 'Removes the membership (the user and their personal keys stay).',
    options: [teamOption, orgOption, userOption],
    async run(args, io) {
      const removed = await withDirectory(args.flags, io, async (dir) => {
        const team = await findTeam(dir, args.flags.get('--team'), args.flags.get('--org'));
        return dir.removeMember(team.id, (await findUser(dir, args.flags.get('--user'))).id);
      });
      if (!removed) {
        io.err('that user is not a member of the team');
        return 1;
      }
      io.out('removed');
      return 0;
    },
  }),
  defineCommand({
    name: 'user create',
    usage: 'aqueduct user create EMAIL [--org ORG] [--role user|org-admin|admin]',
    summary: 'Create a user',
    description: 'Creates a user in an org (default: the default org). Give them a key with "token create".',
    options: [orgOption, { flag: '--role', value: 'role', description: 'user (default), org-admin or admin' }],
    async run(args, io) {
      const email = oneName(args.positional, 'EMAIL');
      const role = (args.flags.get('--role') ?? 'user') as Role;
      if (!ROLES.includes(role)) throw new UsageError(`--role must be one of ${ROLES.join(', ')}`);
      const user = await withDirectory(args.flags, io, async (dir) => dir.createUser(email, (await findOrg(dir, args.flags.get('--org'))).id, role));
      io.out(`created user ${user.email} (id ${user.id}, ${user.role})`);
      return 0;
    },
  }),
  defineCommand({
    name: 'user list',
    usage: 'aqueduct user list [--org ORG]',
    summary: 'List users',
    description: 'Lists the users of one org, or of every org.',
    options: [orgOption],
    async run(args, io) {
      const rows = await withDirectory(args.flags, io, async (dir) => {
        const orgId = args.flags.has('--org') ? (await findOrg(dir, args.flags.get('--org'))).id : undefined;
        const users = await dir.listUsers(orgId);
        return Promise.all(users.map(async (u) => [String(u.id), u.email, (await dir.org(u.orgId))!.name, u.role, String(u.rpm ?? '-'), iso(u.createdAt)]));
      });
      table(io.out, ['ID', 'EMAIL', 'ORG', 'ROLE', 'RPM', 'CREATED'], rows);
      return 0;
    },
  }),
  defineCommand({
    name: 'user set-role',
    usage: 'aqueduct user set-role EMAIL user|org-admin|admin',
    summary: "Change a user's role",
    description: 'admin: everything; org-admin: their org; user: their own keys.',
    async run(args, io) {
      const [email, role] = args.positional as [string?, Role?];
      if (args.positional.length !== 2 || !role || !ROLES.includes(role)) throw new UsageError(`expected EMAIL and one of ${ROLES.join(', ')}`);
      await withDirectory(args.flags, io, async (dir) => dir.updateUser((await findUser(dir, email)).id, { role }));
      io.out(`${email} is now ${role}`);
      return 0;
    },
  }),
  defineCommand({
    name: 'service-account create',
    usage: 'aqueduct service-account create NAME --team TEAM [--org ORG] [--user CREATOR]',
    summary: "Create a team's service account and print its key",
    description: 'Creates a service account owned by the team, with its one key. Only the key is printed on stdout.',
    options: [teamOption, orgOption, { flag: '--user', value: 'email', description: 'Recorded as its creator (default: a team admin, else the first admin)' }, { flag: '--description', value: 'text', description: 'What it is for' }],
    async run(args, io) {
      const name = oneName(args.positional, 'service account NAME');
      const created = await withDirectory(args.flags, io, async (dir) => {
        const team = await findTeam(dir, args.flags.get('--team'), args.flags.get('--org'));
        const teamAdmin = (await dir.members(team.id)).find((m) => m.isAdmin);
        const creator = args.flags.has('--user')
          ? await findUser(dir, args.flags.get('--user'))
          : teamAdmin
            ? await dir.user(teamAdmin.userId)
            : (await dir.listUsers()).find((u) => u.role === 'admin');
        if (!creator) throw new UsageError('name a creator with --user EMAIL');
        return dir.createServiceAccount(team.id, name, args.flags.get('--description') ?? '', creator.id);
      });
      io.err(`created service account ${name} (id ${created.serviceAccount.id})`);
      io.out(created.key);
      return 0;
    },
  }),
];

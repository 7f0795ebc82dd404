/** token create | list | revoke: key management straight on the database (the server notices within a second). */
import { UsageError } from './args';
import { parseDurationMs } from '../config/units';
import { defineCommand } from './context';
import { table } from './targets';
import { iso, withDirectory } from './with-directory';

const create = defineCommand({
  name: 'token create',
  usage: 'aqueduct token create --user EMAIL [--name NAME] [--expires-in DURATION]',
  summary: 'Create a key for a user (creating the user if missing) and print it',
  description:
    'Creates a gateway key for EMAIL. A user that does not exist yet is created in the default org.\n' +
    'Only the key is printed on stdout, so it can be captured: KEY=$(aqueduct token create --user a@b.c)',
  options: [
    { flag: '--user', value: 'email', description: "The key's owner" },
    { flag: '--name', value: 'name', description: 'A label for the key' },
    { flag: '--expires-in', value: 'duration', description: 'Lifetime, e.g. 12h, 30d, 1w (default: never expires)' },
  ],
  async run(args, io) {
    const email = args.flags.get('--user');
    if (!email || !/^[^\s@]+@[^\s@]+$/.test(email)) throw new UsageError('--user EMAIL is required (an email address)');
    const expiresIn = args.flags.get('--expires-in');
    let expiresAt: number | null = null;
    if (expiresIn !== undefined) {
      try {
        expiresAt = Date.now() + parseDurationMs(expiresIn);
      } catch (err) {
        throw new UsageError(`--expires-in: ${(err as Error).message}`);
      }
    }
    const { key, preview } = await withDirectory(args.flags, io, async ({ tokens }) => {
      const { id, created } = await tokens.ensureUser(email);
      if (created) io.err(`created user ${email}`);
      return tokens.createKey(id, args.flags.get('--name') ?? '', expiresAt);
    });
    io.err(`created key ${preview} for ${email}${expiresAt ? `, expires ${iso(expiresAt)}` : ''}`);
    io.out(key);
    return 0;
  },
});

const list = defineCommand({
  name: 'token list',
  usage: 'aqueduct token list [--user EMAIL] [--json]',
  summary: 'List keys (previews only; keys are stored hashed)',
  description: 'Lists every key, or those of one user. Keys cannot be shown again: only their previews.',
  options: [
    { flag: '--user', value: 'email', description: 'Only the keys of this user' },
    { flag: '--json', description: 'Print JSON instead of a table' },
  ],
  async run(args, io) {
    const keys = await withDirectory(args.flags, io, ({ tokens }) => tokens.listKeys({ email: args.flags.get('--user') }));
    if (args.switches.has('--json')) {
      io.out(JSON.stringify(keys, null, 2));
      return 0;
    }
    const now = Date.now();
    const rows = keys.map((k) => [
      String(k.id),
      k.preview,
      k.email,
      k.name || '-',
      iso(k.createdAt),
      iso(k.expiresAt),
      k.revokedAt !== null ? 'revoked' : k.expiresAt !== null && k.expiresAt <= now ? 'expired' : 'active',
    ]);
    table(io.out, ['ID', 'KEY', 'USER', 'NAME', 'CREATED', 'EXPIRES', 'STATUS'], rows);
    return 0;
  },
});

const revoke = defineCommand({
  name: 'token revoke',
  usage: 'aqueduct token revoke ID',
  summary: 'Revoke a key by its id (see "token list")',
  description: 'Revokes the key; a running gateway refuses it within a second.',
  async run(args, io) {
    const id = Number(args.positional[0]);
    if (args.positional.length !== 1 || !Number.isInteger(id) || id <= 0) throw new UsageError('expected one key ID (see "aqueduct token list")');
    const ok = await withDirectory(args.flags, io, ({ tokens }) => tokens.revokeKey(id));
    if (!ok) {
      io.err(`no active key with id ${id}`);
      return 1;
    }
    io.err(`revoked key ${id}`);
    return 0;
  },
});

export const tokenCommands = [create, list, revoke];

/** Operator commands for limits, exclusions and the usage report. */
import { UsageError } from './args';
import { defineCommand } from './context';
import { findTarget, table, type Target } from './targets';
import { withDirectory, withState } from './with-directory';
import type { Directory, PolicyPatch } from '../domain/directory';
import { BUCKETS, CALLS, GROUPS, callsFor, type Bucket, type Calls, type GroupBy } from '../domain/usage-report';
import { usageReads } from '../domain/usage-reads';
import { usageStoreFor } from '../domain/usage-backend';
import { parseDurationMs } from '../config/units';

const targetOptions = [
  { flag: '--org', value: 'org', description: 'An org (name or id); with --team, the team’s org' },
  { flag: '--team', value: 'team', description: 'A team (name within --org, or id)' },
  { flag: '--user', value: 'email', description: 'A user (email or id)' },
];

function describe(t: Target): string {
  return t.kind === 'org' ? `org ${t.org.name}` : t.kind === 'team' ? `team ${t.team.name}` : t.kind === 'user' ? `user ${t.user.email}` : `key ${t.id}`;
}

async function current(dir: Directory, t: Exclude<Target, { kind: 'token' }>) {
  return t.kind === 'org' ? (await dir.org(t.org.id))! : t.kind === 'team' ? (await dir.team(t.team.id))! : (await dir.user(t.user.id))!;
}

async function apply(dir: Directory, t: Target, patch: PolicyPatch): Promise<void> {
  if (t.kind === 'org') await dir.updateOrg(t.org.id, patch);
  else if (t.kind === 'team') await dir.updateTeam(t.team.id, patch);
  else if (t.kind === 'user') await dir.updateUser(t.user.id, patch);
  else await dir.tokens.updateKey(t.id, { rpm: patch.rpm, itpm: patch.itpm, otpm: patch.otpm });
}

function count(raw: string | undefined, flag: string): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`${flag} must be a positive integer`);
  return n;
}

const exclusionChange = (mode: 'add' | 'remove') =>
  defineCommand({
    name: `exclude ${mode}`,
    usage: `aqueduct exclude ${mode} --org ORG | --team TEAM [--org ORG] | --user EMAIL  --model M | --mcp-server S`,
    summary: mode === 'add' ? 'Exclude a model or MCP server for an org, team or user' : 'Lift an exclusion',
    description: 'An excluded model behaves like an unknown one for the keys it applies to (404, absent from /models).',
    options: [...targetOptions, { flag: '--model', value: 'model', description: 'A model name (or alias)' }, { flag: '--mcp-server', value: 'name', description: 'An MCP server name' }],
    async run(args, io) {
      const model = args.flags.get('--model');
      const server = args.flags.get('--mcp-server');
      if ((model === undefined) === (server === undefined)) throw new UsageError('name exactly one of --model or --mcp-server');
      await withDirectory(args.flags, io, async (dir) => {
        const t = (await findTarget(dir, args.flags)) as Exclude<Target, { kind: 'token' }>;
        const row = await current(dir, t);
        const list = model !== undefined ? row.excludedModels : row.excludedMcpServers;
        const name = (model ?? server)!;
        const next = mode === 'add' ? [...new Set([...list, name])] : list.filter((x) => x !== name);
        await apply(dir, t, model !== undefined ? { excludedModels: next } : { excludedMcpServers: next });
        io.out(`${describe(t)} now excludes ${model !== undefined ? 'models' : 'MCP servers'}: ${next.join(', ') || '(none)'}`);
      });
      return 0;
    },
  });

export const policyCommands = [
  defineCommand({
    name: 'limits set',
    usage: 'aqueduct limits set --org ORG | --team TEAM [--org ORG] | --user EMAIL | --token ID  [--rpm N] [--itpm N] [--otpm N] [--clear]',
    summary: 'Set or clear per-minute limits on an org, team, user or key',
    description:
      'Requests (rpm), input tokens (itpm) and output tokens (otpm) per minute. Each key has its own budget;\n' +
      'the most specific setting wins (key, then user — or team for a service-account key — then org).\n' +
      '--clear unsets all three here (the next level up applies again).',
    options: [...targetOptions, { flag: '--token', value: 'id', description: 'A key id (see "token list")' }, { flag: '--rpm', value: 'n', description: 'Requests per minute' }, { flag: '--itpm', value: 'n', description: 'Input tokens per minute' }, { flag: '--otpm', value: 'n', description: 'Output tokens per minute' }, { flag: '--clear', description: 'Unset all three limits here' }],
    async run(args, io) {
      const patch: PolicyPatch = args.switches.has('--clear')
        ? { rpm: null, itpm: null, otpm: null }
        : Object.fromEntries((['rpm', 'itpm', 'otpm'] as const).map((k) => [k, count(args.flags.get(`--${k}`), `--${k}`)]).filter(([, v]) => v !== undefined));
      if (Object.keys(patch).length === 0) throw new UsageError('give --rpm, --itpm, --otpm or --clear');
      await withDirectory(args.flags, io, async (dir) => {
        const t = await findTarget(dir, args.flags, true);
        await apply(dir, t, patch);
        io.out(`limits of ${describe(t)}: ${Object.entries(patch).map(([k, v]) => `${k}=${v ?? 'unset'}`).join(' ')}`);
      });
      return 0;
    },
  }),
  exclusionChange('add'),
  exclusionChange('remove'),
  defineCommand({
    name: 'exclude merge',
    usage: 'aqueduct exclude merge --org ORG | --team TEAM [--org ORG] | --user EMAIL  on|off [--mcp]',
    summary: 'Whether a level merges the exclusions of the level above',
    description: 'on: a user (or team) also excludes what its org excludes, and an org what the global setting excludes.\n--mcp sets the flag of the MCP-server list instead of the model list.',
    options: [...targetOptions, { flag: '--mcp', description: 'The MCP-server list' }],
    async run(args, io) {
      const value = args.positional[0];
      if (args.positional.length !== 1 || (value !== 'on' && value !== 'off')) throw new UsageError('expected on or off');
      await withDirectory(args.flags, io, async (dir) => {
        const t = await findTarget(dir, args.flags);
        await apply(dir, t, args.switches.has('--mcp') ? { mergeMcpExclusions: value === 'on' } : { mergeModelExclusions: value === 'on' });
        io.out(`${describe(t)} ${value === 'on' ? 'merges' : 'does not merge'} the ${args.switches.has('--mcp') ? 'MCP-server' : 'model'} exclusions above it`);
      });
      return 0;
    },
  }),
  defineCommand({
    name: 'usage',
    usage: 'aqueduct usage [--since 1h] [--calls model|mcp] [--by model|key|user|team|org|user_id|mcp_server|mcp_tool] [--bucket minute|hour|day] [--json]',
    summary: 'Usage report: requests, failures, tokens, latency',
    description:
      'Reports the recorded calls of every org, grouped, over the last --since (default 24h).\n' +
      'A report counts model calls or MCP calls (--calls; default mcp for --by mcp_server or mcp_tool, else model);\n' +
      'MCP calls have no tokens. --json prints times (bucket_start) in Unix seconds; the table prints them in ISO 8601 (UTC).',
    options: [
      { flag: '--since', value: 'duration', description: 'How far back, e.g. 1h, 7d (default 24h)' },
      { flag: '--calls', value: 'kind', description: `One of ${CALLS.join(', ')}: which calls to count` },
      { flag: '--by', value: 'group', description: `One of ${GROUPS.join(', ')} (default model)` },
      { flag: '--bucket', value: 'size', description: `Per ${BUCKETS.join(', ')}` },
      { flag: '--json', description: 'Print JSON' },
    ],
    async run(args, io) {
      const by = (args.flags.get('--by') ?? 'model') as GroupBy;
      if (!GROUPS.includes(by)) throw new UsageError(`--by must be one of ${GROUPS.join(', ')}`);
      const asked = args.flags.get('--calls') as Calls | undefined;
      if (asked !== undefined && !CALLS.includes(asked)) throw new UsageError(`--calls must be one of ${CALLS.join(', ')}`);
      const kind = callsFor(by, asked);
      if ('error' in kind) throw new UsageError(`--by ${by} and --calls ${asked}: ${kind.error}`);
      const bucket = args.flags.get('--bucket') as Bucket | undefined;
      if (bucket !== undefined && !BUCKETS.includes(bucket)) throw new UsageError(`--bucket must be one of ${BUCKETS.join(', ')}`);
      let since: number;
      try {
        since = Date.now() - parseDurationMs(args.flags.get('--since') ?? '24h');
      } catch (err) {
        throw new UsageError(`--since: ${(err as Error).message}`);
      }
      const rows = await withState(args.flags, io, async (_dir, state, settings) => {
        const store = usageStoreFor(settings, state.sqlite);
        try {
          return await usageReads(store).report({ since, until: Date.now() + 1, groupBy: by, bucket, calls: kind.calls, scope: { kind: 'all' } });
        } finally {
          await store.close();
        }
      });
      if (args.switches.has('--json')) {
        io.out(JSON.stringify(rows, null, 2));
        return 0;
      }
      const iso = (seconds: number) => new Date(seconds * 1000).toISOString().replace('.000Z', 'Z');
      table(
        io.out,
        [...(bucket ? ['BUCKET'] : []), by.toUpperCase(), 'REQUESTS', 'FAILED', 'IN TOKENS', 'OUT TOKENS', 'AVG MS', 'P95 MS'],
        rows.map((r) => [...(bucket ? [iso(r.bucket_start!)] : []), r.label ?? String(r.group ?? '-'), String(r.requests), String(r.failures), String(r.input_tokens), String(r.output_tokens), String(r.avg_latency_ms), String(r.p95_latency_ms)]),
      );
      return 0;
    },
  }),
];

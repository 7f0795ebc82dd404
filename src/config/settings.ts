/**
 * Every runtime setting in one table: flag, environment variable, default, help text.
 * Precedence is flag > AQUEDUCT_* environment variable > default (DESIGN §4).
 */
import { existsSync } from 'node:fs';
import { parseBytes, parseDurationMs } from './units';
import { parseFileStore } from './file-store';

interface Spec<T> {
  flag: string;
  env: string;
  description: string;
  /** Shown in --help; `def` computes the effective default. */
  defaultText: string;
  def: () => T;
  parse: (raw: string) => T;
  /** The value of the flag given alone (`--demo`), for switches; other flags always take a value. */
  bare?: string;
  /** May hold a password: problems name the setting, never its value. */
  secret?: boolean;
}

const str = (raw: string) => raw;
const optionalPath = (file: string) => () => (existsSync(file) ? file : undefined);

function int(min: number, max: number) {
  return (raw: string) => {
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min || n > max) throw new Error(`expected an integer from ${min} to ${max}`);
    return n;
  };
}

function oneOf<T extends string>(...values: T[]) {
  return (raw: string) => {
    if (!(values as string[]).includes(raw)) throw new Error(`expected one of ${values.join(', ')}`);
    return raw as T;
  };
}

function onOff(raw: string): boolean {
  if (!['on', 'off', 'true', 'false', '1', '0'].includes(raw)) throw new Error('expected on or off');
  return ['on', 'true', '1'].includes(raw);
}

/** A URL with one of these schemes (and a host, when asked), or the error that names what was expected. */
function urlOf(raw: string, schemes: readonly string[], expected: string, needsHost = false): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new Error(`expected ${expected}`);
  }
  if (!schemes.includes(url.protocol) || (needsHost && url.hostname === '')) throw new Error(`expected ${expected}`);
  return url;
}

/** A postgres:// or postgresql:// URL. */
export function postgresUrl(raw: string): string {
  urlOf(raw, ['postgres:', 'postgresql:'], 'a postgres:// URL');
  return raw;
}

const list = (raw: string) =>
  raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

export const SETTINGS = {
  host: {
    flag: '--host',
    env: 'AQUEDUCT_HOST',
    description: 'Address to listen on',
    defaultText: '0.0.0.0',
    def: () => '0.0.0.0',
    parse: str,
  } satisfies Spec<string>,
  port: {
    flag: '--port',
    env: 'AQUEDUCT_PORT',
    description: 'TCP port to listen on (0 picks a free port)',
    defaultText: '8000',
    def: () => 8000,
    parse: int(0, 65535),
  } satisfies Spec<number>,
  dataDir: {
    flag: '--data-dir',
    env: 'AQUEDUCT_DATA_DIR',
    description: 'Directory for the SQLite database and stored files',
    defaultText: './data',
    def: () => './data',
    parse: str,
  } satisfies Spec<string>,
  databaseUrl: {
    flag: '--database-url',
    env: 'AQUEDUCT_DATABASE_URL',
    description:
      'PostgreSQL holding all state, shared by several nodes (postgres://user:password@host:port/db); migrated at start under an advisory lock. The management commands and the usage report work on it too; backup/restore refuse it (use pg_dump). With several nodes set AQUEDUCT_REDIS_URL and AQUEDUCT_FILE_STORE as well',
    defaultText: '(none: SQLite in the data directory)',
    def: () => undefined as string | undefined,
    parse: postgresUrl,
    secret: true,
  } satisfies Spec<string | undefined>,
  fileStore: {
    flag: '--file-store',
    env: 'AQUEDUCT_FILE_STORE',
    description:
      "Where stored files' bytes live: unset = <data-dir>/files; s3://bucket/prefix = an S3-compatible bucket (AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL, AWS_REGION, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN from the environment); an absolute path = that directory (e.g. one shared over NFS)",
    defaultText: '<data-dir>/files',
    def: () => undefined as string | undefined,
    parse: parseFileStore,
  } satisfies Spec<string | undefined>,
  routerConfig: {
    flag: '--router-config',
    env: 'AQUEDUCT_ROUTER_CONFIG',
    description: 'Path of router_config.yaml (LiteLLM model_list format)',
    defaultText: 'router_config.yaml if present, else none',
    def: optionalPath('router_config.yaml'),
    parse: str,
  } satisfies Spec<string | undefined>,
  mcpConfig: {
    flag: '--mcp-config',
    env: 'AQUEDUCT_MCP_CONFIG',
    description: 'Path of mcp.json (MCP servers)',
    defaultText: 'mcp.json if present, else none',
    def: optionalPath('mcp.json'),
    parse: str,
  } satisfies Spec<string | undefined>,
  corsOrigins: {
    flag: '--cors-origins',
    env: 'AQUEDUCT_CORS_ORIGINS',
    description: 'Comma-separated origins allowed to call the API from a browser ("*" for any, "" for none)',
    defaultText: '*',
    def: () => ['*'],
    parse: list,
  } satisfies Spec<string[]>,
  maxBodySize: {
    flag: '--max-body-size',
    env: 'AQUEDUCT_MAX_BODY_SIZE',
    description: 'Largest JSON request body accepted (e.g. 32MB); larger bodies get 413',
    defaultText: '32MB',
    def: () => 32 * 1024 * 1024,
    parse: parseBytes,
  } satisfies Spec<number>,
  maxUpstreamRequests: {
    flag: '--max-upstream-requests',
    env: 'AQUEDUCT_MAX_UPSTREAM_REQUESTS',
    description: 'Upstream calls in flight at once (Bun fetch allows 256 unless told otherwise)',
    defaultText: '8192',
    def: () => 8192,
    parse: int(16, 1_000_000),
  } satisfies Spec<number>,
  shutdownGrace: {
    flag: '--shutdown-grace',
    env: 'AQUEDUCT_SHUTDOWN_GRACE',
    description: 'On SIGTERM/SIGINT, how long calls and streams in flight may take to finish before they are cut',
    defaultText: '30s',
    def: () => 30_000,
    parse: parseDurationMs,
  } satisfies Spec<number>,
  uploadIdleTimeout: {
    flag: '--upload-idle-timeout',
    env: 'AQUEDUCT_UPLOAD_IDLE_TIMEOUT',
    description: 'An upload that sends nothing for this long is refused (408) and its temporary file removed',
    defaultText: '60s',
    def: () => 60_000,
    parse: parseDurationMs,
  } satisfies Spec<number>,
  clientIdleTimeout: {
    flag: '--client-idle-timeout',
    env: 'AQUEDUCT_CLIENT_IDLE_TIMEOUT',
    description: 'A streamed answer whose client reads nothing for this long is ended, its upstream call cancelled',
    defaultText: '120s',
    def: () => 120_000,
    parse: parseDurationMs,
  } satisfies Spec<number>,
  accessLog: {
    flag: '--access-log',
    env: 'AQUEDUCT_ACCESS_LOG',
    description: 'One JSON line per request on stdout (on or off)',
    defaultText: 'on',
    def: () => true,
    parse: onOff,
  } satisfies Spec<boolean>,
  logLevel: {
    flag: '--log-level',
    env: 'AQUEDUCT_LOG_LEVEL',
    description: 'Log verbosity: debug, info, warn or error',
    defaultText: 'info',
    def: () => 'info' as const,
    parse: oneOf('debug', 'info', 'warn', 'error'),
  } satisfies Spec<'debug' | 'info' | 'warn' | 'error'>,
  excludedModels: {
    flag: '--excluded-models',
    env: 'AQUEDUCT_EXCLUDED_MODELS',
    description: 'Global model exclusion list (comma-separated); binds every key, whatever the merge flags',
    defaultText: '(none)',
    def: () => [] as string[],
    parse: list,
  } satisfies Spec<string[]>,
  excludedMcpServers: {
    flag: '--excluded-mcp-servers',
    env: 'AQUEDUCT_EXCLUDED_MCP_SERVERS',
    description: 'Global MCP server exclusion list (comma-separated); binds every key like the model list',
    defaultText: '(none)',
    def: () => [] as string[],
    parse: list,
  } satisfies Spec<string[]>,
  maxKeysPerUser: {
    flag: '--max-keys-per-user',
    env: 'AQUEDUCT_MAX_KEYS_PER_USER',
    description: 'Live personal keys a user may hold (expired and revoked ones do not count; admins creating keys for others, and the CLI, are not bound by it)',
    defaultText: '3',
    def: () => 3,
    parse: int(1, 1000),
  } satisfies Spec<number>,
  maxServiceAccountsPerTeam: {
    flag: '--max-service-accounts-per-team',
    env: 'AQUEDUCT_MAX_SERVICE_ACCOUNTS_PER_TEAM',
    description: 'Service accounts a team may have (each has its own key and budget; the CLI is not bound by it)',
    defaultText: '10',
    def: () => 10,
    parse: int(1, 100_000),
  } satisfies Spec<number>,
  usageRetention: {
    flag: '--usage-retention',
    env: 'AQUEDUCT_USAGE_RETENTION',
    description: 'How long usage records are kept (a daily job deletes older ones), e.g. 30d',
    defaultText: '30d',
    def: () => 30 * 86_400_000,
    parse: parseDurationMs,
  } satisfies Spec<number>,
  responsesRetention: {
    flag: '--responses-retention',
    env: 'AQUEDUCT_RESPONSES_RETENTION',
    description: 'How long the gateway keeps the responses it creates (/v1/responses: retrieve, input_items, previous_response_id), e.g. 30d',
    defaultText: '30d',
    def: () => 30 * 86_400_000,
    parse: parseDurationMs,
  } satisfies Spec<number>,
  responsesAllowExternalMcp: {
    flag: '--responses-allow-external-mcp',
    env: 'AQUEDUCT_RESPONSES_ALLOW_EXTERNAL_MCP',
    description: 'Allow `mcp` tools in /v1/responses that name a server_url outside mcp.json (on or off)',
    defaultText: 'off',
    def: (): boolean => false,
    parse: onOff,
  } satisfies Spec<boolean>,
  maxFileSize: {
    flag: '--max-file-size',
    env: 'AQUEDUCT_MAX_FILE_SIZE',
    description: 'Largest file accepted by POST /files',
    defaultText: '512MB',
    def: () => 512 * 1024 ** 2,
    parse: parseBytes,
  } satisfies Spec<number>,
  maxAudioSize: {
    flag: '--max-audio-size',
    env: 'AQUEDUCT_MAX_AUDIO_SIZE',
    description: 'Largest audio file accepted by POST /audio/transcriptions and /audio/translations (413 beyond it)',
    defaultText: '25MB',
    def: () => 25 * 1024 ** 2,
    parse: parseBytes,
  } satisfies Spec<number>,
  maxBatchFileSize: {
    flag: '--max-batch-file-size',
    env: 'AQUEDUCT_MAX_BATCH_FILE_SIZE',
    description: 'Largest file with purpose "batch"',
    defaultText: '200MB',
    def: () => 200 * 1024 ** 2,
    parse: parseBytes,
  } satisfies Spec<number>,
  maxBatchLines: {
    flag: '--max-batch-lines',
    env: 'AQUEDUCT_MAX_BATCH_LINES',
    description: 'Most requests in one batch file',
    defaultText: '50000',
    def: () => 50_000,
    parse: int(1, 10_000_000),
  } satisfies Spec<number>,
  storagePerOwner: {
    flag: '--storage-per-owner',
    env: 'AQUEDUCT_STORAGE_PER_OWNER',
    description: 'Total size of the files one user (or, for service accounts, one team) may keep',
    defaultText: '10GB',
    def: () => 10 * 1024 ** 3,
    parse: parseBytes,
  } satisfies Spec<number>,
  filePurposes: {
    flag: '--file-purposes',
    env: 'AQUEDUCT_FILE_PURPOSES',
    description: 'Purposes accepted by POST /files (comma-separated)',
    defaultText: 'batch,user_data,assistants,vision',
    def: () => ['batch', 'user_data', 'assistants', 'vision'],
    parse: list,
  } satisfies Spec<string[]>,
  batchFileExpiry: {
    flag: '--batch-file-expiry',
    env: 'AQUEDUCT_BATCH_FILE_EXPIRY',
    description: 'How long files with purpose "batch" are kept unless the upload says otherwise',
    defaultText: '30d',
    def: () => 30 * 86_400_000,
    parse: parseDurationMs,
  } satisfies Spec<number>,
  batchWorkers: {
    flag: '--batch-workers',
    env: 'AQUEDUCT_BATCH_WORKERS',
    description: 'Worker threads that run batch lines',
    defaultText: '2',
    def: () => 2,
    parse: int(1, 64),
  } satisfies Spec<number>,
  batchConcurrency: {
    flag: '--batch-concurrency',
    env: 'AQUEDUCT_BATCH_CONCURRENCY',
    description: 'Batch lines in flight at once, over all batches (live traffic keeps the rest)',
    defaultText: '64',
    def: () => 64,
    parse: int(1, 100_000),
  } satisfies Spec<number>,
  batchConcurrencyPerBatch: {
    flag: '--batch-concurrency-per-batch',
    env: 'AQUEDUCT_BATCH_CONCURRENCY_PER_BATCH',
    description: 'Lines of one batch in flight at once (batches share capacity fairly)',
    defaultText: '64',
    def: () => 64,
    parse: int(1, 100_000),
  } satisfies Spec<number>,
  batchLease: {
    flag: '--batch-lease',
    env: 'AQUEDUCT_BATCH_LEASE',
    description: 'How long a batch line stays with the node running it without a renewal (renewed every third of it); after a crash, its lines run again on any node once this has passed',
    defaultText: '30s',
    def: () => 30_000,
    parse: (raw: string) => {
      const ms = parseDurationMs(raw);
      if (ms < 300 || ms > 3_600_000) throw new Error('expected a duration from 300ms to 1h');
      return ms;
    },
  } satisfies Spec<number>,
  maxActiveBatchesPerUser: {
    flag: '--max-active-batches-per-user',
    env: 'AQUEDUCT_MAX_ACTIVE_BATCHES_PER_USER',
    description: 'Unfinished batches one user may have',
    defaultText: '10',
    def: () => 10,
    parse: int(1, 100_000),
  } satisfies Spec<number>,
  maxActiveBatchesPerTeam: {
    flag: '--max-active-batches-per-team',
    env: 'AQUEDUCT_MAX_ACTIVE_BATCHES_PER_TEAM',
    description: 'Unfinished batches one team (its service accounts) may have',
    defaultText: '25',
    def: () => 25,
    parse: int(1, 100_000),
  } satisfies Spec<number>,
  batchCompletionWindow: {
    flag: '--batch-completion-window',
    env: 'AQUEDUCT_BATCH_COMPLETION_WINDOW',
    description: 'How long a batch may run before unfinished lines expire (the API only accepts "24h"; this is its length)',
    defaultText: '24h',
    def: () => 86_400_000,
    parse: parseDurationMs,
  } satisfies Spec<number>,
  mcpAllowedHosts: {
    flag: '--mcp-allowed-hosts',
    env: 'AQUEDUCT_MCP_ALLOWED_HOSTS',
    description: 'Host headers accepted on /mcp-servers (DNS-rebinding protection; "host:*" allows any port)',
    defaultText: 'localhost:*,127.0.0.1:*,[::1]:*',
    def: () => ['localhost:*', '127.0.0.1:*', '[::1]:*'],
    parse: list,
  } satisfies Spec<string[]>,
  mcpAllowedOrigins: {
    flag: '--mcp-allowed-origins',
    env: 'AQUEDUCT_MCP_ALLOWED_ORIGINS',
    description: 'Origin headers accepted on /mcp-servers when present ("*" for any)',
    defaultText: 'http://localhost:*,http://127.0.0.1:*',
    def: () => ['http://localhost:*', 'http://127.0.0.1:*'],
    parse: list,
  } satisfies Spec<string[]>,
  mcpSessionTimeout: {
    flag: '--mcp-session-timeout',
    env: 'AQUEDUCT_MCP_SESSION_TIMEOUT',
    description: 'An MCP session unused this long is forgotten (its id then answers 404)',
    defaultText: '1h',
    def: () => 3_600_000,
    parse: parseDurationMs,
  } satisfies Spec<number>,
  publicUrl: {
    flag: '--public-url',
    env: 'AQUEDUCT_PUBLIC_URL',
    description: 'The URL clients reach the gateway at (e.g. https://gateway.example.org): used for the URLs the gateway hands out, such as MCP server URLs. Without it they are built from an allowed Host header only',
    defaultText: '(none)',
    def: () => undefined as string | undefined,
    parse: (raw: string) => {
      urlOf(raw, ['http:', 'https:'], 'an http(s) URL');
      return raw.replace(/\/+$/, '');
    },
  } satisfies Spec<string | undefined>,
  consoleSessionTtl: {
    flag: '--console-session-ttl',
    env: 'AQUEDUCT_CONSOLE_SESSION_TTL',
    description: 'How long a console sign-in lasts (e.g. 12h); a revoked or expired key ends its sessions sooner',
    defaultText: '12h',
    def: () => 12 * 3_600_000,
    parse: parseDurationMs,
  } satisfies Spec<number>,
  oidcIssuer: {
    flag: '--oidc-issuer',
    env: 'AQUEDUCT_OIDC_ISSUER',
    description: 'Single sign-on: the OpenID Connect issuer URL (its /.well-known/openid-configuration is read). Needs --public-url and --oidc-client-id; the key sign-in stays',
    defaultText: '(none: no single sign-on)',
    def: () => undefined as string | undefined,
    parse: str,
  } satisfies Spec<string | undefined>,
  oidcClientId: {
    flag: '--oidc-client-id',
    env: 'AQUEDUCT_OIDC_CLIENT_ID',
    description: 'Single sign-on: the client id registered at the provider (redirect URI <public url>/ui/auth/callback)',
    defaultText: '(none)',
    def: () => undefined as string | undefined,
    parse: str,
  } satisfies Spec<string | undefined>,
  oidcClientSecret: {
    flag: '--oidc-client-secret',
    env: 'AQUEDUCT_OIDC_CLIENT_SECRET',
    description: 'Single sign-on: the client secret (prefer the environment variable); without one the gateway is a public client and PKCE alone protects the code',
    defaultText: '(none: public client)',
    def: () => undefined as string | undefined,
    parse: str,
  } satisfies Spec<string | undefined>,
  oidcProviderName: {
    flag: '--oidc-provider-name',
    env: 'AQUEDUCT_OIDC_PROVIDER_NAME',
    description: 'Single sign-on: the name on the sign-in button ("Sign in with <name>")',
    defaultText: "the issuer's host name",
    def: () => undefined as string | undefined,
    parse: str,
  } satisfies Spec<string | undefined>,
  oidcScopes: {
    flag: '--oidc-scopes',
    env: 'AQUEDUCT_OIDC_SCOPES',
    description: 'Single sign-on: the scopes asked for (space-separated; must include openid)',
    defaultText: 'openid email profile',
    def: () => 'openid email profile',
    parse: (raw: string) => raw.trim().split(/\s+/).join(' '),
  } satisfies Spec<string>,
  oidcGroupsClaim: {
    flag: '--oidc-groups-claim',
    env: 'AQUEDUCT_OIDC_GROUPS_CLAIM',
    description: "Single sign-on: the claim holding the user's groups, read from the ID token or, when absent there, from userinfo",
    defaultText: 'groups',
    def: () => 'groups',
    parse: str,
  } satisfies Spec<string>,
  oidcOrg: {
    flag: '--oidc-org',
    env: 'AQUEDUCT_OIDC_ORG',
    description: 'Single sign-on: the org of new users: a fixed org name, or a regular expression with one capture group matched against each group (the first match names the org). No org: sign-in is refused',
    defaultText: '(none: sign-in is refused)',
    def: () => undefined as string | undefined,
    parse: str,
  } satisfies Spec<string | undefined>,
  oidcAdminGroups: {
    flag: '--oidc-admin-groups',
    env: 'AQUEDUCT_OIDC_ADMIN_GROUPS',
    description: 'Single sign-on: groups whose members are gateway admins (comma-separated); checked at every sign-in, an admin who left them becomes a user. Empty: roles are left as set by hand',
    defaultText: '(none)',
    def: () => [] as string[],
    parse: list,
  } satisfies Spec<string[]>,
  oidcTeamGroups: {
    flag: '--oidc-team-groups',
    env: 'AQUEDUCT_OIDC_TEAM_GROUPS',
    description: "Single sign-on: a regular expression mapping groups to teams (capture group 1 is the team name); team membership follows the groups at every sign-in. Teams made by hand are never touched",
    defaultText: '(none: no team sync)',
    def: () => undefined as string | undefined,
    parse: str,
  } satisfies Spec<string | undefined>,
  oidcCreateTeams: {
    flag: '--oidc-create-teams',
    env: 'AQUEDUCT_OIDC_CREATE_TEAMS',
    description: "Single sign-on: create a team for a mapped group that has none yet (on or off; off: only teams made from groups before are joined)",
    defaultText: 'on',
    def: () => true,
    parse: onOff,
  } satisfies Spec<boolean>,
  oidcAllowedEmailDomains: {
    flag: '--oidc-allowed-email-domains',
    env: 'AQUEDUCT_OIDC_ALLOWED_EMAIL_DOMAINS',
    description: 'Single sign-on: only emails in these domains may sign in (comma-separated; empty: any)',
    defaultText: '(any)',
    def: () => [] as string[],
    parse: (raw: string) => list(raw).map((d) => d.toLowerCase().replace(/^@/, '')),
  } satisfies Spec<string[]>,
  demo: {
    flag: '--demo',
    env: 'AQUEDUCT_DEMO',
    description: 'With no router config: serve the built-in demo models (demo-chat, demo-completion, demo-embedding, demo-tts, demo-image, demo-transcribe), answered by the gateway itself. A router config always wins. "--demo" alone means on',
    defaultText: 'off',
    def: () => false,
    parse: onOff,
    bare: 'on',
  } satisfies Spec<boolean>,
  mcpSessionsPerKey: {
    flag: '--mcp-sessions-per-key',
    env: 'AQUEDUCT_MCP_SESSIONS_PER_KEY',
    description: 'Open MCP sessions one key may hold; at the cap a session idle for a minute gives its place, else initialize gets 429',
    defaultText: '32',
    def: () => 32,
    parse: int(1, 100_000),
  } satisfies Spec<number>,
  tosFile: {
    flag: '--tos-file',
    env: 'AQUEDUCT_TOS_FILE',
    description: 'Terms of service (a Markdown file, .md; or .txt/.html shown as plain text): when set, every person must accept the current version in the console (/ui/terms) before their keys make model, file, batch or MCP calls; a changed file is a new version',
    defaultText: '(none)',
    def: () => undefined as string | undefined,
    parse: str,
  } satisfies Spec<string | undefined>,
  keyRefreshInterval: {
    flag: '--key-refresh-interval',
    env: 'AQUEDUCT_KEY_REFRESH_INTERVAL',
    description: 'How often the in-memory key cache looks for changes made by other processes (e.g. "token revoke", limits); a new key is looked for at once',
    defaultText: '1s',
    def: () => 1000,
    parse: parseDurationMs,
  } satisfies Spec<number>,
  redisUrl: {
    flag: '--redis-url',
    env: 'AQUEDUCT_REDIS_URL',
    description: 'More than one node: Redis/Valkey that holds the rate-limit windows and the MCP sessions, shared by every node (redis://[:password@]host:port[/db], rediss:// for TLS). Unset: both are kept in memory, per node',
    defaultText: '(none: in memory)',
    def: () => undefined as string | undefined,
    parse: (raw: string) => {
      urlOf(raw, ['redis:', 'rediss:', 'valkey:', 'valkeys:'], 'a redis:// or rediss:// URL with a host', true);
      return raw;
    },
  } satisfies Spec<string | undefined>,
  redisFailure: {
    flag: '--redis-failure',
    env: 'AQUEDUCT_REDIS_FAILURE',
    description: 'When Redis (--redis-url) cannot be reached: "closed" refuses calls of keys that have any rate limit (503, code rate_limits_unavailable; keys without limits still pass), "open" counts limits per node in memory until Redis is back',
    defaultText: 'closed',
    def: (): 'closed' | 'open' => 'closed',
    parse: oneOf('closed', 'open'),
  } satisfies Spec<'closed' | 'open'>,
  redisTimeout: {
    flag: '--redis-timeout',
    env: 'AQUEDUCT_REDIS_TIMEOUT',
    description: 'How long a rate-limit check may wait for Redis (and a connection attempt may take) before Redis counts as unreachable',
    defaultText: '250ms',
    def: () => 250,
    parse: (raw: string) => {
      const ms = parseDurationMs(raw);
      if (ms < 1 || ms > 60_000) throw new Error('expected a duration from 1ms to 60s');
      return ms;
    },
  } satisfies Spec<number>,
} as const;

export type SettingName = keyof typeof SETTINGS;
export type Settings = { [K in SettingName]: ReturnType<(typeof SETTINGS)[K]['def']> };

/** Flags that may be given alone, with the value that means (e.g. `--demo` → "on"). */
export const BARE_SETTING_FLAGS: Map<string, string> = new Map(
  (Object.values(SETTINGS) as Spec<unknown>[]).filter((s) => s.bare !== undefined).map((s) => [s.flag, s.bare!]),
);

/** Flag names (without `--`) mapped to setting names, for the argument parser. */
export const SETTING_BY_FLAG: Map<string, SettingName> = new Map(
  (Object.keys(SETTINGS) as SettingName[]).map((name) => [SETTINGS[name].flag, name]),
);

export interface ResolvedSettings {
  settings: Settings;
  problems: string[];
}

/**
 * Resolves every setting from flags, then the environment, then defaults. Invalid values are collected
 * as problems (and the default is used) so that check-config can report them all at once.
 */
export function resolveSettings(
  flags: ReadonlyMap<string, string>,
  env: Record<string, string | undefined> = process.env,
): ResolvedSettings {
  const problems: string[] = [];
  const out: Record<string, unknown> = {};
  for (const name of Object.keys(SETTINGS) as SettingName[]) {
    const spec = SETTINGS[name] as Spec<unknown>;
    const fromFlag = flags.get(spec.flag);
    const fromEnv = env[spec.env];
    const [raw, source] = fromFlag !== undefined ? [fromFlag, spec.flag] : [fromEnv, spec.env];
    if (raw === undefined) {
      out[name] = spec.def();
      continue;
    }
    try {
      out[name] = spec.parse(raw);
    } catch (err) {
      problems.push(`${source}${spec.secret ? '' : `=${JSON.stringify(raw)}`}: ${(err as Error).message}`);
      out[name] = spec.def();
    }
  }
  return { settings: out as Settings, problems };
}

/** The settings section of --help. */
export function settingsHelp(): string {
  const rows = (Object.keys(SETTINGS) as SettingName[]).map((name) => {
    const s = SETTINGS[name] as Spec<unknown>;
    return `  ${(s.bare !== undefined ? `${s.flag}[=on|off]` : `${s.flag} <value>`).padEnd(30)} ${s.description}\n  ${''.padEnd(30)} env ${s.env}, default ${s.defaultText}`;
  });
  return `Settings (flag, then environment variable, then default):\n${rows.join('\n')}`;
}

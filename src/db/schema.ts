/**
 * The Drizzle schema. `make migration NAME=…` (drizzle-kit) turns changes here into a new SQL migration in
 * drizzle/, which is embedded in the binary (src/db/migrations.gen.ts). Times are unix milliseconds.
 */
import { sql } from 'drizzle-orm';
import { type AnySQLiteColumn, index, integer, primaryKey, real, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';

const now = sql`(cast(unixepoch('subsecond') * 1000 as integer))`;

/** Per-minute limits; null means "not set here" (the next less specific level applies). */
const limits = () => ({
  rpm: integer('rpm'),
  itpm: integer('itpm'),
  otpm: integer('otpm'),
});

/**
 * Access policy of an org, team or user: exclusion lists, each with a flag saying whether the next level
 * up (org, then the global default) is merged in, and the rate limits.
 */
const policy = () => ({
  excludedModels: text('excluded_models', { mode: 'json' }).$type<string[]>().notNull().default(sql`'[]'`),
  mergeModelExclusions: integer('merge_model_exclusions', { mode: 'boolean' }).notNull().default(true),
  excludedMcpServers: text('excluded_mcp_servers', { mode: 'json' }).$type<string[]>().notNull().default(sql`'[]'`),
  mergeMcpExclusions: integer('merge_mcp_exclusions', { mode: 'boolean' }).notNull().default(true),
  ...limits(),
});

/**
 * Pooled limits: per-minute totals that all the keys of a team (its service accounts) or of an org share,
 * on top of each key's own limits. Null: no pool.
 */
const pool = () => ({
  poolRpm: integer('pool_rpm'),
  poolItpm: integer('pool_itpm'),
  poolOtpm: integer('pool_otpm'),
});

export const orgs = sqliteTable('orgs', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  name: text('name').notNull().unique(),
  createdAt: integer('created_at').notNull().default(now),
  ...policy(),
  ...pool(),
});

export const teams = sqliteTable(
  'teams',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    orgId: integer('org_id')
      .notNull()
      .references(() => orgs.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    description: text('description').notNull().default(''),
    createdAt: integer('created_at').notNull().default(now),
    /** Set on a team single sign-on made from a provider group (that group's name); null for a team made by hand. */
    oidcGroup: text('oidc_group'),
    ...policy(),
    ...pool(),
  },
  (t) => [uniqueIndex('teams_org_name_idx').on(t.orgId, t.name), uniqueIndex('teams_org_oidc_group_idx').on(t.orgId, t.oidcGroup)],
);

export const users = sqliteTable(
  'users',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    email: text('email').notNull().unique(),
    orgId: integer('org_id')
      .notNull()
      .references(() => orgs.id, { onDelete: 'restrict' }),
    /** `user` | `org-admin` | `admin` */
    role: text('role', { enum: ['user', 'org-admin', 'admin'] }).notNull().default('user'),
    createdAt: integer('created_at').notNull().default(now),
    /** Single sign-on identity: the issuer and its `sub` (null for users who never signed in that way). */
    oidcIssuer: text('oidc_issuer'),
    oidcSubject: text('oidc_subject'),
    ...policy(),
  },
  (t) => [index('users_org_idx').on(t.orgId), uniqueIndex('users_oidc_identity_idx').on(t.oidcIssuer, t.oidcSubject)],
);

export const teamMembers = sqliteTable(
  'team_members',
  {
    teamId: integer('team_id')
      .notNull()
      .references(() => teams.id, { onDelete: 'cascade' }),
    userId: integer('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    isAdmin: integer('is_admin', { mode: 'boolean' }).notNull().default(false),
    /** Added by single sign-on from a provider group (and removed by it when the group goes); false: added by hand. */
    viaGroup: integer('via_group', { mode: 'boolean' }).notNull().default(false),
  },
  (t) => [primaryKey({ columns: [t.teamId, t.userId] }), index('team_members_user_idx').on(t.userId)],
);

/** A team's non-personal identity; it has exactly one key (api_keys.service_account_id). */
export const serviceAccounts = sqliteTable(
  'service_accounts',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    teamId: integer('team_id')
      .notNull()
      .references(() => teams.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    description: text('description').notNull().default(''),
    createdAt: integer('created_at').notNull().default(now),
  },
  (t) => [uniqueIndex('service_accounts_team_name_idx').on(t.teamId, t.name)],
);

export const apiKeys = sqliteTable(
  'api_keys',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    /** SHA-256 hex digest of the key; the key itself is never stored. */
    keyHash: text('key_hash').notNull().unique(),
    /** `sk-...abcd`, safe to show and log. */
    preview: text('preview').notNull(),
    name: text('name').notNull().default(''),
    /** The owner of a personal key; for a service-account key, the user who created it. */
    userId: integer('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    /** Set for the one key of a service account. */
    // No ON DELETE action: SQLite cannot add one to an existing table; Directory deletes the key explicitly.
    serviceAccountId: integer('service_account_id').references(() => serviceAccounts.id),
    createdAt: integer('created_at').notNull().default(now),
    expiresAt: integer('expires_at'),
    revokedAt: integer('revoked_at'),
    lastUsedAt: integer('last_used_at'),
    ...limits(),
  },
  (t) => [index('api_keys_user_idx').on(t.userId), uniqueIndex('api_keys_service_account_idx').on(t.serviceAccountId)],
);

/**
 * Change counters that let in-memory caches notice writes made by other processes (the CLI while the
 * server runs): every write to the cached tables bumps its row in the same transaction.
 */
export const revisions = sqliteTable('revisions', {
  name: text('name').primaryKey(),
  value: integer('value').notNull().default(0),
});

/**
 * What each access change touched (a key, or every key of a user, team or org), written in the transaction
 * of the change: key caches apply just those instead of re-reading every key. Ids only grow; old rows are
 * pruned (a cache that fell further behind reloads in full).
 */
export const accessChanges = sqliteTable('access_changes', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  /** key | user | team | org */
  kind: text('kind').notNull(),
  ref: integer('ref').notNull(),
});

/** One row per billable call, written in batches off the request path (src/domain/usage.ts). */
export const usage = sqliteTable(
  'usage',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    createdAt: integer('created_at').notNull(),
    requestId: text('request_id').notNull(),
    keyId: integer('key_id').notNull(),
    userId: integer('user_id').notNull(),
    orgId: integer('org_id').notNull(),
    /** The team of a service-account key (personal keys count for their user, not a team). */
    teamId: integer('team_id'),
    /** The resolved model_name (aliases resolved), or what the caller sent when it resolved to nothing. */
    model: text('model').notNull(),
    /** The deployment that answered (`<model_name>#<index>`), when one did. */
    deployment: text('deployment'),
    /** chat | completions | embeddings | speech | images | transcriptions | translations */
    endpoint: text('endpoint').notNull(),
    status: integer('status').notNull(),
    latencyMs: integer('latency_ms').notNull(),
    /** Time to the first streamed chunk, for streams. */
    ttftMs: integer('ttft_ms'),
    inputTokens: integer('input_tokens').notNull().default(0),
    outputTokens: integer('output_tokens').notNull().default(0),
    /** The `user_id` body field (Aqueduct's end-user attribution), removed before forwarding. */
    endUserId: text('end_user_id').notNull().default(''),
    stream: integer('stream', { mode: 'boolean' }).notNull().default(false),
    errorCode: text('error_code'),
    /** Set for calls made by a batch (one row per line, exactly once). */
    batchId: text('batch_id'),
    /** MCP: the server, and the tool of a tools/call. */
    mcpServer: text('mcp_server'),
    mcpTool: text('mcp_tool'),
    /**
     * Audio calls (transcriptions, translations): seconds of audio, from the upstream's `usage` (type
     * duration), verbose_json's `duration`, or the WAV header; NULL when unknown or not an audio call.
     * Tokens, when the upstream reports them, are in input_tokens/output_tokens as for every call.
     */
    audioSeconds: real('audio_seconds'),
  },
  // One index, on time: every report reads a time range and filters it by scope (org, user, key). Indexes on
  // model and on (key, time) cost ~50 % of each row's write (a row touches a page per key) for no query.
  (t) => [index('usage_created_idx').on(t.createdAt)],
);

/**
 * Usage rollups (src/domain/usage-rollups.ts): the usage rows summed per time bucket and combination of
 * dimensions, in four families (key, org, gateway, end-user), kept up to date in the transaction that inserts the
 * rows. The console reads these instead of scanning `usage`. "None" is 0 / '' rather than NULL so that the
 * primary key (the upsert's conflict target) matches it: team_id 0 = a personal key, mcp_server '' = a model
 * call, mcp_tool '' = no tool. Latencies: sum, min, max and (key and org families) a log-spaced histogram
 * h0..h39 (src/domain/latency-histogram.ts). The migration makes them WITHOUT ROWID tables (clustered by
 * time, so a time range is one sequential read); the key and end-user families have indexes per scope.
 */
const rollupSums = (hist: boolean) => ({
  requests: integer('requests').notNull(),
  failures: integer('failures').notNull(),
  inputTokens: integer('input_tokens').notNull(),
  outputTokens: integer('output_tokens').notNull(),
  latencySum: integer('latency_sum').notNull(),
  latencyMin: integer('latency_min').notNull(),
  latencyMax: integer('latency_max').notNull(),
  ...(hist ? Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`h${i}`, integer(`h${i}`).notNull().default(0)])) : {}),
});

/**
 * Minute rows serve at most 48 h, read by time (the 1 h view, the edges of longer ranges): no index per
 * scope, which would cost the writer ~20 % for reads that are short anyway.
 */
const scopeIndexes = (name: string, t: { orgId: AnySQLiteColumn; userId: AnySQLiteColumn; teamId: AnySQLiteColumn; bucketStart: AnySQLiteColumn }) =>
  name.endsWith('_minute') ? [] : [index(`${name}_org_idx`).on(t.orgId, t.bucketStart), index(`${name}_user_idx`).on(t.userId, t.bucketStart), index(`${name}_team_idx`).on(t.teamId, t.bucketStart)];

const keyRollup = (name: string) =>
  sqliteTable(
    name,
    {
      /** The bucket's first second (Unix seconds). */
      bucketStart: integer('bucket_start').notNull(),
      orgId: integer('org_id').notNull(),
      teamId: integer('team_id').notNull(),
      userId: integer('user_id').notNull(),
      keyId: integer('key_id').notNull(),
      model: text('model').notNull(),
      mcpServer: text('mcp_server').notNull(),
      mcpTool: text('mcp_tool').notNull(),
      ...rollupSums(true),
    },
    (t) => [
      primaryKey({ columns: [t.bucketStart, t.orgId, t.teamId, t.userId, t.keyId, t.model, t.mcpServer, t.mcpTool] }),
      ...scopeIndexes(name, t),
    ],
  );

const orgRollup = (name: string) =>
  sqliteTable(
    name,
    {
      bucketStart: integer('bucket_start').notNull(),
      orgId: integer('org_id').notNull(),
      model: text('model').notNull(),
      mcpServer: text('mcp_server').notNull(),
      mcpTool: text('mcp_tool').notNull(),
      ...rollupSums(true),
    },
    (t) => [primaryKey({ columns: [t.bucketStart, t.orgId, t.model, t.mcpServer, t.mcpTool] })],
  );

const gatewayRollup = (name: string) =>
  sqliteTable(
    name,
    {
      bucketStart: integer('bucket_start').notNull(),
      model: text('model').notNull(),
      mcpServer: text('mcp_server').notNull(),
      mcpTool: text('mcp_tool').notNull(),
      ...rollupSums(true),
    },
    (t) => [primaryKey({ columns: [t.bucketStart, t.model, t.mcpServer, t.mcpTool] })],
  );

const endUserRollup = (name: string) =>
  sqliteTable(
    name,
    {
      bucketStart: integer('bucket_start').notNull(),
      orgId: integer('org_id').notNull(),
      teamId: integer('team_id').notNull(),
      userId: integer('user_id').notNull(),
      keyId: integer('key_id').notNull(),
      endUserId: text('end_user_id').notNull(),
      mcpServer: text('mcp_server').notNull(),
      ...rollupSums(false),
    },
    (t) => [
      primaryKey({ columns: [t.bucketStart, t.orgId, t.teamId, t.userId, t.keyId, t.endUserId, t.mcpServer] }),
      ...scopeIndexes(name, t),
    ],
  );

export const usageMinute = keyRollup('usage_minute');
export const usageHour = keyRollup('usage_hour');
export const usageDay = keyRollup('usage_day');
export const usageOrgHour = orgRollup('usage_org_hour');
export const usageOrgDay = orgRollup('usage_org_day');
export const usageGatewayHour = gatewayRollup('usage_gateway_hour');
export const usageGatewayDay = gatewayRollup('usage_gateway_day');
export const usageEndUserMinute = endUserRollup('usage_end_user_minute');
export const usageEndUserHour = endUserRollup('usage_end_user_hour');
export const usageEndUserDay = endUserRollup('usage_end_user_day');

/**
 * Stored files. The bytes live at <data-dir>/files/<id>; the path comes from this row only. A file belongs
 * to a user (uploaded with a personal key) or to a team (uploaded with a service-account key).
 */
export const files = sqliteTable(
  'files',
  {
    /** `file-` + 24 random base62 characters. */
    id: text('id').primaryKey(),
    ownerUserId: integer('owner_user_id'),
    ownerTeamId: integer('owner_team_id'),
    keyId: integer('key_id').notNull(),
    filename: text('filename').notNull(),
    purpose: text('purpose').notNull(),
    bytes: integer('bytes').notNull(),
    createdAt: integer('created_at').notNull(),
    expiresAt: integer('expires_at'),
    /** For purpose `batch`: the number of requests, their endpoint and model (validated at upload). */
    lineCount: integer('line_count'),
    batchEndpoint: text('batch_endpoint'),
    batchModel: text('batch_model'),
  },
  (t) => [index('files_user_idx').on(t.ownerUserId, t.createdAt), index('files_team_idx').on(t.ownerTeamId, t.createdAt), index('files_expires_idx').on(t.expiresAt)],
);

/** Batches run by the gateway itself (src/domain/batches/). Times are unix ms. */
export const batches = sqliteTable(
  'batches',
  {
    /** `batch_` + 24 random base62 characters. */
    id: text('id').primaryKey(),
    ownerUserId: integer('owner_user_id'),
    ownerTeamId: integer('owner_team_id'),
    keyId: integer('key_id').notNull(),
    userId: integer('user_id').notNull(),
    orgId: integer('org_id').notNull(),
    inputFileId: text('input_file_id').notNull(),
    endpoint: text('endpoint').notNull(),
    model: text('model').notNull(),
    completionWindow: text('completion_window').notNull(),
    /** validating | in_progress | finalizing | completed | failed | cancelling | cancelled | expired */
    status: text('status').notNull(),
    metadata: text('metadata', { mode: 'json' }).$type<Record<string, string> | null>(),
    errors: text('errors', { mode: 'json' }).$type<{ code: string; message: string; param: string | null; line: number | null }[] | null>(),
    outputFileId: text('output_file_id'),
    errorFileId: text('error_file_id'),
    total: integer('total').notNull().default(0),
    completed: integer('completed').notNull().default(0),
    failed: integer('failed').notNull().default(0),
    inputTokens: integer('input_tokens').notNull().default(0),
    outputTokens: integer('output_tokens').notNull().default(0),
    createdAt: integer('created_at').notNull(),
    inProgressAt: integer('in_progress_at'),
    expiresAt: integer('expires_at').notNull(),
    finalizingAt: integer('finalizing_at'),
    completedAt: integer('completed_at'),
    failedAt: integer('failed_at'),
    expiredAt: integer('expired_at'),
    cancellingAt: integer('cancelling_at'),
    cancelledAt: integer('cancelled_at'),
  },
  (t) => [index('batches_user_idx').on(t.ownerUserId, t.createdAt), index('batches_team_idx').on(t.ownerTeamId, t.createdAt), index('batches_status_idx').on(t.status)],
);

/** One row per request of a batch: its state survives crashes, so every custom_id ends up exactly once. */
export const batchLines = sqliteTable(
  'batch_lines',
  {
    batchId: text('batch_id')
      .notNull()
      .references(() => batches.id, { onDelete: 'cascade' }),
    lineNo: integer('line_no').notNull(),
    customId: text('custom_id').notNull(),
    /** The request body, as sent in the input file. */
    body: text('body').notNull(),
    /** pending | running | done | failed */
    state: text('state').notNull(),
    statusCode: integer('status_code'),
    requestId: text('request_id'),
    /** The upstream answer (JSON text) for done lines, or the error object for failed ones. */
    result: text('result'),
    /** A running line's lease: the node running it (a per-process id) and until when (unix ms; renewed while it runs). */
    leaseOwner: text('lease_owner'),
    leaseUntil: integer('lease_until'),
  },
  // (batch_id, state, line_no): claiming the next pending lines in order is an index range scan, not a sort.
  // (state, lease_until): finding running lines whose node stopped renewing their lease, over all batches.
  (t) => [
    primaryKey({ columns: [t.batchId, t.lineNo] }),
    index('batch_lines_state_idx').on(t.batchId, t.state, t.lineNo),
    index('batch_lines_lease_idx').on(t.state, t.leaseUntil),
  ],
);

/**
 * Console sign-ins. The cookie holds a random 256-bit token; only its SHA-256 is stored, so a copy of the
 * database cannot be replayed as a session. The session names the key it was opened with (never the key
 * itself): the key's current rights apply, and revoking or expiring the key ends the session.
 */
export const consoleSessions = sqliteTable(
  'console_sessions',
  {
    /** SHA-256 hex digest of the session token. */
    id: text('id').primaryKey(),
    /** The key the session was opened with; null for a single sign-on session (it lives as long as its user). */
    keyId: integer('key_id').references(() => apiKeys.id, { onDelete: 'cascade' }),
    userId: integer('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    /** Random; forms carry it back and every POST must match it. */
    csrfSecret: text('csrf_secret').notNull(),
    /** Single sign-on: the ID token, sent back as the hint of an RP-initiated logout. */
    idToken: text('id_token'),
    createdAt: integer('created_at').notNull(),
    expiresAt: integer('expires_at').notNull(),
  },
  (t) => [index('console_sessions_expires_idx').on(t.expiresAt), index('console_sessions_key_idx').on(t.keyId)],
);

/**
 * Who accepted which version of the terms of service (AQUEDUCT_TOS_FILE), and when. One row per user and
 * version: accepting a version again keeps the first time. The version is a hash of the file's content.
 */
export const tosAcceptances = sqliteTable(
  'tos_acceptances',
  {
    userId: integer('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    version: text('version').notNull(),
    acceptedAt: integer('accepted_at').notNull().default(now),
  },
  (t) => [primaryKey({ columns: [t.userId, t.version] })],
);

/**
 * Single sign-on logins under way: the state, nonce and PKCE verifier stay here; the browser holds only a
 * random id (HttpOnly cookie), keyed by its SHA-256. One use, a few minutes.
 */
export const oidcLogins = sqliteTable(
  'oidc_logins',
  {
    id: text('id').primaryKey(),
    state: text('state').notNull(),
    nonce: text('nonce').notNull(),
    codeVerifier: text('code_verifier').notNull(),
    returnTo: text('return_to').notNull(),
    expiresAt: integer('expires_at').notNull(),
  },
  (t) => [index('oidc_logins_expires_idx').on(t.expiresAt)],
);

/**
 * Responses created through /v1/responses (src/domain/responses/). Every response id the gateway handed
 * out belongs to an owner (a user, or a team for service-account keys). `mode` native: the upstream keeps
 * the response; the row says who owns it and which deployment holds it. `mode` translated: the gateway
 * produced it from a chat completion and keeps it here (the response object and its input items), so
 * retrieve, input_items and `previous_response_id` chains work. Rows go after `expires_at`.
 */
export const responses = sqliteTable(
  'responses',
  {
    /** `resp_…`: the upstream's id (native) or the gateway's own (translated). */
    id: text('id').primaryKey(),
    ownerUserId: integer('owner_user_id'),
    ownerTeamId: integer('owner_team_id'),
    keyId: integer('key_id').notNull(),
    /** native | translated */
    mode: text('mode').notNull(),
    model: text('model').notNull(),
    /** The deployment that answered (native: where retrieve and delete go). */
    deployment: text('deployment').notNull(),
    /** Translated only: the response object as returned, and the items of its input (JSON). */
    response: text('response'),
    inputItems: text('input_items'),
    previousResponseId: text('previous_response_id'),
    createdAt: integer('created_at').notNull(),
    expiresAt: integer('expires_at').notNull(),
  },
  (t) => [index('responses_expires_idx').on(t.expiresAt)],
);

/**
 * The items (input and output) of translated responses by id, so an `item_reference` in a later input
 * (the AI SDK sends them for earlier turns) can be resolved; owner-scoped through their response.
 */
export const responseItems = sqliteTable(
  'response_items',
  {
    itemId: text('item_id').primaryKey(),
    responseId: text('response_id')
      .notNull()
      .references(() => responses.id, { onDelete: 'cascade' }),
    item: text('item').notNull(),
  },
  (t) => [index('response_items_response_idx').on(t.responseId)],
);

/**
 * The PostgreSQL twin of src/db/schema.ts: the same tables, column names, nullability, defaults, keys,
 * indexes and foreign keys, with types chosen so that every table's select and insert row types equal the
 * SQLite ones (test/db/pg-schema-types.test.ts), so domain code can be written once for either dialect.
 * `make migration NAME=…` generates drizzle-pg/ from this file alongside drizzle/; test/db/schema-parity.test.ts
 * fails when the two dialects' migrated schemas drift apart.
 *
 * Types (SQLite's integer is 64-bit; PostgreSQL's integer is 32-bit):
 * - `integer` only where the value is bounded by design: the ids of the access tables (orgs, teams, users,
 *   service accounts, keys) and the columns that refer to them, HTTP statuses, per-call latencies, line numbers.
 * - `bigint` (mode number) for times (unix ms; bucket starts in unix s pass 2^31 in 2038), ids that only grow
 *   (usage, access_changes), sizes, limits and every counter or sum (rollups, batch totals, tokens).
 * - booleans → boolean; real → double precision.
 * - JSON columns → `text` holding JSON, as in SQLite (see jsonText below for why not jsonb).
 * - autoincrement ids → identity (BY DEFAULT, so an explicit id can still be inserted, as SQLite allows).
 * Composite primary keys are named explicitly: drizzle's generated names pass PostgreSQL's 63-byte limit.
 */
import { sql } from 'drizzle-orm';
import { type AnyPgColumn, bigint, boolean, customType, doublePrecision, index, integer, pgTable, primaryKey, text, uniqueIndex } from 'drizzle-orm/pg-core';

const now = sql`(extract(epoch from clock_timestamp()) * 1000)::bigint`;

/** A unix-ms time (or any count that may pass 2^31), read and written as a JS number. */
const big = (name: string) => bigint(name, { mode: 'number' });

/**
 * JSON stored as text, like SQLite's `text({ mode: 'json' })`. Not jsonb: (1) the domain's raw SQL reads these
 * columns and JSON.parses them itself — Bun.SQL would hand back a jsonb column already parsed, so the same
 * query would behave differently per dialect; (2) drizzle-orm 0.45's jsonb double-encodes with the bun-sql
 * driver (drizzle-team/drizzle-orm#4942, fixed only in the v1 beta); (3) nothing queries inside these values.
 */
const jsonText = customType<{ data: unknown; driverData: string }>({
  dataType: () => 'text',
  toDriver: (value) => JSON.stringify(value),
  fromDriver: (value) => JSON.parse(value),
});

/** Per-minute limits; null means "not set here" (the next less specific level applies). */
const limits = () => ({
  rpm: big('rpm'),
  itpm: big('itpm'),
  otpm: big('otpm'),
});

/** Exclusion lists and limits of an org, team or user (see src/db/schema.ts). */
const policy = () => ({
  excludedModels: jsonText('excluded_models').$type<string[]>().notNull().default(sql`'[]'`),
  mergeModelExclusions: boolean('merge_model_exclusions').notNull().default(true),
  excludedMcpServers: jsonText('excluded_mcp_servers').$type<string[]>().notNull().default(sql`'[]'`),
  mergeMcpExclusions: boolean('merge_mcp_exclusions').notNull().default(true),
  ...limits(),
});

/** Pooled limits of a team or org (see src/db/schema.ts). */
const pool = () => ({
  poolRpm: big('pool_rpm'),
  poolItpm: big('pool_itpm'),
  poolOtpm: big('pool_otpm'),
});

export const orgs = pgTable('orgs', {
  id: integer('id').primaryKey().generatedByDefaultAsIdentity(),
  name: text('name').notNull().unique(),
  createdAt: big('created_at').notNull().default(now),
  ...policy(),
  ...pool(),
});

export const teams = pgTable(
  'teams',
  {
    id: integer('id').primaryKey().generatedByDefaultAsIdentity(),
    orgId: integer('org_id')
      .notNull()
      .references(() => orgs.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    description: text('description').notNull().default(''),
    createdAt: big('created_at').notNull().default(now),
    oidcGroup: text('oidc_group'),
    ...policy(),
    ...pool(),
  },
  (t) => [uniqueIndex('teams_org_name_idx').on(t.orgId, t.name), uniqueIndex('teams_org_oidc_group_idx').on(t.orgId, t.oidcGroup)],
);

export const users = pgTable(
  'users',
  {
    id: integer('id').primaryKey().generatedByDefaultAsIdentity(),
    email: text('email').notNull().unique(),
    orgId: integer('org_id')
      .notNull()
      .references(() => orgs.id, { onDelete: 'restrict' }),
    role: text('role', { enum: ['user', 'org-admin', 'admin'] }).notNull().default('user'),
    createdAt: big('created_at').notNull().default(now),
    oidcIssuer: text('oidc_issuer'),
    oidcSubject: text('oidc_subject'),
    ...policy(),
  },
  (t) => [index('users_org_idx').on(t.orgId), uniqueIndex('users_oidc_identity_idx').on(t.oidcIssuer, t.oidcSubject)],
);

export const teamMembers = pgTable(
  'team_members',
  {
    teamId: integer('team_id')
      .notNull()
      .references(() => teams.id, { onDelete: 'cascade' }),
    userId: integer('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    isAdmin: boolean('is_admin').notNull().default(false),
    viaGroup: boolean('via_group').notNull().default(false),
  },
  (t) => [primaryKey({ name: 'team_members_pk', columns: [t.teamId, t.userId] }), index('team_members_user_idx').on(t.userId)],
);

export const serviceAccounts = pgTable(
  'service_accounts',
  {
    id: integer('id').primaryKey().generatedByDefaultAsIdentity(),
    teamId: integer('team_id')
      .notNull()
      .references(() => teams.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    description: text('description').notNull().default(''),
    createdAt: big('created_at').notNull().default(now),
  },
  (t) => [uniqueIndex('service_accounts_team_name_idx').on(t.teamId, t.name)],
);

export const apiKeys = pgTable(
  'api_keys',
  {
    id: integer('id').primaryKey().generatedByDefaultAsIdentity(),
    keyHash: text('key_hash').notNull().unique(),
    preview: text('preview').notNull(),
    name: text('name').notNull().default(''),
    userId: integer('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    // No ON DELETE action, as in SQLite (which could not add one to an existing table): Directory deletes the key.
    serviceAccountId: integer('service_account_id').references(() => serviceAccounts.id),
    createdAt: big('created_at').notNull().default(now),
    expiresAt: big('expires_at'),
    revokedAt: big('revoked_at'),
    lastUsedAt: big('last_used_at'),
    ...limits(),
  },
  (t) => [index('api_keys_user_idx').on(t.userId), uniqueIndex('api_keys_service_account_idx').on(t.serviceAccountId)],
);

export const revisions = pgTable('revisions', {
  name: text('name').primaryKey(),
  value: big('value').notNull().default(0),
});

export const accessChanges = pgTable('access_changes', {
  id: big('id').primaryKey().generatedByDefaultAsIdentity(),
  kind: text('kind').notNull(),
  ref: integer('ref').notNull(),
});

export const usage = pgTable(
  'usage',
  {
    id: big('id').primaryKey().generatedByDefaultAsIdentity(),
    createdAt: big('created_at').notNull(),
    requestId: text('request_id').notNull(),
    keyId: integer('key_id').notNull(),
    userId: integer('user_id').notNull(),
    orgId: integer('org_id').notNull(),
    teamId: integer('team_id'),
    model: text('model').notNull(),
    deployment: text('deployment'),
    endpoint: text('endpoint').notNull(),
    status: integer('status').notNull(),
    latencyMs: integer('latency_ms').notNull(),
    ttftMs: integer('ttft_ms'),
    inputTokens: big('input_tokens').notNull().default(0),
    outputTokens: big('output_tokens').notNull().default(0),
    endUserId: text('end_user_id').notNull().default(''),
    stream: boolean('stream').notNull().default(false),
    errorCode: text('error_code'),
    batchId: text('batch_id'),
    mcpServer: text('mcp_server'),
    mcpTool: text('mcp_tool'),
    audioSeconds: doublePrecision('audio_seconds'),
  },
  (t) => [index('usage_created_idx').on(t.createdAt)],
);

/**
 * Usage rollups (see src/db/schema.ts). SQLite makes them WITHOUT ROWID tables (clustered by the primary key);
 * PostgreSQL has no clustered tables: a plain table with the same primary key is the equivalent.
 */
const rollupSums = (hist: boolean) => ({
  requests: big('requests').notNull(),
  failures: big('failures').notNull(),
  inputTokens: big('input_tokens').notNull(),
  outputTokens: big('output_tokens').notNull(),
  latencySum: big('latency_sum').notNull(),
  latencyMin: integer('latency_min').notNull(),
  latencyMax: integer('latency_max').notNull(),
  ...(hist ? Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`h${i}`, big(`h${i}`).notNull().default(0)])) : {}),
});

/** Minute rows have no index per scope (see src/db/schema.ts). */
const scopeIndexes = (name: string, t: { orgId: AnyPgColumn; userId: AnyPgColumn; teamId: AnyPgColumn; bucketStart: AnyPgColumn }) =>
  name.endsWith('_minute') ? [] : [index(`${name}_org_idx`).on(t.orgId, t.bucketStart), index(`${name}_user_idx`).on(t.userId, t.bucketStart), index(`${name}_team_idx`).on(t.teamId, t.bucketStart)];

const keyRollup = (name: string) =>
  pgTable(
    name,
    {
      bucketStart: big('bucket_start').notNull(),
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
      primaryKey({ name: `${name}_pk`, columns: [t.bucketStart, t.orgId, t.teamId, t.userId, t.keyId, t.model, t.mcpServer, t.mcpTool] }),
      ...scopeIndexes(name, t),
    ],
  );

const orgRollup = (name: string) =>
  pgTable(
    name,
    {
      bucketStart: big('bucket_start').notNull(),
      orgId: integer('org_id').notNull(),
      model: text('model').notNull(),
      mcpServer: text('mcp_server').notNull(),
      mcpTool: text('mcp_tool').notNull(),
      ...rollupSums(true),
    },
    (t) => [primaryKey({ name: `${name}_pk`, columns: [t.bucketStart, t.orgId, t.model, t.mcpServer, t.mcpTool] })],
  );

const gatewayRollup = (name: string) =>
  pgTable(
    name,
    {
      bucketStart: big('bucket_start').notNull(),
      model: text('model').notNull(),
      mcpServer: text('mcp_server').notNull(),
      mcpTool: text('mcp_tool').notNull(),
      ...rollupSums(true),
    },
    (t) => [primaryKey({ name: `${name}_pk`, columns: [t.bucketStart, t.model, t.mcpServer, t.mcpTool] })],
  );

const endUserRollup = (name: string) =>
  pgTable(
    name,
    {
      bucketStart: big('bucket_start').notNull(),
      orgId: integer('org_id').notNull(),
      teamId: integer('team_id').notNull(),
      userId: integer('user_id').notNull(),
      keyId: integer('key_id').notNull(),
      endUserId: text('end_user_id').notNull(),
      mcpServer: text('mcp_server').notNull(),
      ...rollupSums(false),
    },
    (t) => [
      primaryKey({ name: `${name}_pk`, columns: [t.bucketStart, t.orgId, t.teamId, t.userId, t.keyId, t.endUserId, t.mcpServer] }),
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

export const files = pgTable(
  'files',
  {
    id: text('id').primaryKey(),
    ownerUserId: integer('owner_user_id'),
    ownerTeamId: integer('owner_team_id'),
    keyId: integer('key_id').notNull(),
    filename: text('filename').notNull(),
    purpose: text('purpose').notNull(),
    bytes: big('bytes').notNull(),
    createdAt: big('created_at').notNull(),
    expiresAt: big('expires_at'),
    lineCount: integer('line_count'),
    batchEndpoint: text('batch_endpoint'),
    batchModel: text('batch_model'),
  },
  (t) => [index('files_user_idx').on(t.ownerUserId, t.createdAt), index('files_team_idx').on(t.ownerTeamId, t.createdAt), index('files_expires_idx').on(t.expiresAt)],
);

export const batches = pgTable(
  'batches',
  {
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
    status: text('status').notNull(),
    metadata: jsonText('metadata').$type<Record<string, string> | null>(),
    errors: jsonText('errors').$type<{ code: string; message: string; param: string | null; line: number | null }[] | null>(),
    outputFileId: text('output_file_id'),
    errorFileId: text('error_file_id'),
    total: integer('total').notNull().default(0),
    completed: integer('completed').notNull().default(0),
    failed: integer('failed').notNull().default(0),
    inputTokens: big('input_tokens').notNull().default(0),
    outputTokens: big('output_tokens').notNull().default(0),
    createdAt: big('created_at').notNull(),
    inProgressAt: big('in_progress_at'),
    expiresAt: big('expires_at').notNull(),
    finalizingAt: big('finalizing_at'),
    completedAt: big('completed_at'),
    failedAt: big('failed_at'),
    expiredAt: big('expired_at'),
    cancellingAt: big('cancelling_at'),
    cancelledAt: big('cancelled_at'),
  },
  (t) => [index('batches_user_idx').on(t.ownerUserId, t.createdAt), index('batches_team_idx').on(t.ownerTeamId, t.createdAt), index('batches_status_idx').on(t.status)],
);

export const batchLines = pgTable(
  'batch_lines',
  {
    batchId: text('batch_id')
      .notNull()
      .references(() => batches.id, { onDelete: 'cascade' }),
    lineNo: integer('line_no').notNull(),
    customId: text('custom_id').notNull(),
    /** The request body exactly as sent (text, not JSON: it is replayed byte for byte). */
    body: text('body').notNull(),
    state: text('state').notNull(),
    statusCode: integer('status_code'),
    requestId: text('request_id'),
    result: text('result'),
    leaseOwner: text('lease_owner'),
    leaseUntil: big('lease_until'),
  },
  (t) => [
    primaryKey({ name: 'batch_lines_pk', columns: [t.batchId, t.lineNo] }),
    index('batch_lines_state_idx').on(t.batchId, t.state, t.lineNo),
    index('batch_lines_lease_idx').on(t.state, t.leaseUntil),
  ],
);

export const consoleSessions = pgTable(
  'console_sessions',
  {
    id: text('id').primaryKey(),
    keyId: integer('key_id').references(() => apiKeys.id, { onDelete: 'cascade' }),
    userId: integer('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    csrfSecret: text('csrf_secret').notNull(),
    idToken: text('id_token'),
    createdAt: big('created_at').notNull(),
    expiresAt: big('expires_at').notNull(),
  },
  (t) => [index('console_sessions_expires_idx').on(t.expiresAt), index('console_sessions_key_idx').on(t.keyId)],
);

export const tosAcceptances = pgTable(
  'tos_acceptances',
  {
    userId: integer('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    version: text('version').notNull(),
    acceptedAt: big('accepted_at').notNull().default(now),
  },
  (t) => [primaryKey({ name: 'tos_acceptances_pk', columns: [t.userId, t.version] })],
);

export const oidcLogins = pgTable(
  'oidc_logins',
  {
    id: text('id').primaryKey(),
    state: text('state').notNull(),
    nonce: text('nonce').notNull(),
    codeVerifier: text('code_verifier').notNull(),
    returnTo: text('return_to').notNull(),
    expiresAt: big('expires_at').notNull(),
  },
  (t) => [index('oidc_logins_expires_idx').on(t.expiresAt)],
);

export const responses = pgTable(
  'responses',
  {
    id: text('id').primaryKey(),
    ownerUserId: integer('owner_user_id'),
    ownerTeamId: integer('owner_team_id'),
    keyId: integer('key_id').notNull(),
    mode: text('mode').notNull(),
    model: text('model').notNull(),
    deployment: text('deployment').notNull(),
    response: text('response'),
    inputItems: text('input_items'),
    previousResponseId: text('previous_response_id'),
    createdAt: big('created_at').notNull(),
    expiresAt: big('expires_at').notNull(),
  },
  (t) => [index('responses_expires_idx').on(t.expiresAt)],
);

export const responseItems = pgTable(
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

/**
 * The Drizzle schema. `bun run db:generate` (drizzle-kit) turns changes here into a new SQL migration in
 * drizzle/, which is embedded in the binary (src/db/migrations.gen.ts). Times are unix milliseconds.
 */
import { sql } from 'drizzle-orm';
import { index, integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';

const now = sql`(cast(unixepoch('subsecond') * 1000 as integer))`;

export const orgs = sqliteTable('orgs', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  name: text('name').notNull().unique(),
  createdAt: integer('created_at').notNull().default(now),
});

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
  },
  (t) => [index('users_org_idx').on(t.orgId)],
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
    userId: integer('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    createdAt: integer('created_at').notNull().default(now),
    expiresAt: integer('expires_at'),
    revokedAt: integer('revoked_at'),
    lastUsedAt: integer('last_used_at'),
  },
  (t) => [index('api_keys_user_idx').on(t.userId)],
);

/**
 * Change counters that let in-memory caches notice writes made by other processes (the CLI while the
 * server runs): every write to the cached tables bumps its row in the same transaction.
 */
export const revisions = sqliteTable('revisions', {
  name: text('name').primaryKey(),
  value: integer('value').notNull().default(0),
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
    /** The resolved model_name (aliases resolved), or what the caller sent when it resolved to nothing. */
    model: text('model').notNull(),
    /** The deployment that answered (`<model_name>#<index>`), when one did. */
    deployment: text('deployment'),
    /** chat | completions | embeddings | speech | images */
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
  },
  (t) => [index('usage_created_idx').on(t.createdAt), index('usage_key_created_idx').on(t.keyId, t.createdAt), index('usage_model_created_idx').on(t.model, t.createdAt)],
);

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

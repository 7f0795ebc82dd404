/**
 * Terms of service (AQUEDUCT_TOS_FILE): while they are set, a key works for model calls, files, batches
 * and MCP calls only when the current version has been accepted — by its user, or for a service-account
 * key by at least one admin of its team. Everyone is held to it, admins too. /models, /mcp-servers (the
 * list) and /admin stay open, and so does the console, where the terms are read and accepted (/ui/terms).
 *
 * The check on the request path is a Set lookup: the versions a key may work under are part of its
 * principal (key-rows.ts), kept current by the key cache like every other access change, and the current
 * version is held in memory. The file is looked at (one stat) at most every `checkIntervalMs`; a changed
 * file is read again and, with a new hash, becomes a new version that nobody has accepted yet. A file that
 * has become unreadable, empty or too large keeps the last good version in force (and is logged).
 *
 * The gate is at request time: batches already running go on to the end under the version they started with.
 *
 * The acceptance records (TermsAcceptances, below) are the only database part: accepting (the console's
 * form) and reading them for pages and /admin/users, never on the request path. Their SQL runs on SQLite
 * and PostgreSQL alike, through the async Sql port (src/db/sql.ts).
 */
import { readTermsFile, termsStamp, type TermsDocument } from '../config/terms-file';
import type { Sql } from '../db/sql';
import type { Principal } from './key-cache';
import { Refusal } from './refusal';
import { recordAccessChangesSql, type AccessChange } from './revisions';

export interface TermsSource {
  /** The terms in force now. */
  current(): TermsDocument;
}

export interface TermsWatcherOptions {
  /** How often at most the file's metadata is looked at (default 2 s; 0: on every look). */
  checkIntervalMs?: number;
  now?: () => number;
  /** Told once per new problem with the file (the last good version stays in force). */
  onProblem?: (message: string) => void;
  /** Told when a new version comes into force. */
  onChange?: (doc: TermsDocument) => void;
}

export const TERMS_CHECK_INTERVAL_MS = 2000;

/** The terms file, re-read when it changes; `initial` is what was read at start (config/load.ts). */
export function watchTerms(path: string, initial: TermsDocument, o: TermsWatcherOptions = {}): TermsSource {
  const interval = o.checkIntervalMs ?? TERMS_CHECK_INTERVAL_MS;
  const now = o.now ?? Date.now;
  let doc = initial;
  let checkedAt = now();
  let lastProblem: string | undefined;
  const problem = (message: string) => {
    if (message !== lastProblem) o.onProblem?.(message);
    lastProblem = message;
  };
  return {
    current() {
      const t = now();
      if (t - checkedAt < interval) return doc;
      checkedAt = t;
      try {
        if (termsStamp(path) === doc.stamp) return doc;
        const next = readTermsFile(path);
        lastProblem = undefined;
        if (next.version !== doc.version) o.onChange?.(next);
        doc = next;
      } catch (err) {
        problem(`${path}: ${(err as Error).message}; version ${doc.version} stays in force`);
      }
      return doc;
    },
  };
}

/** Fixed terms (tests, and a source that never changes). */
export const fixedTerms = (doc: TermsDocument): TermsSource => ({ current: () => doc });

/** True when the key may work under the terms in force (always, when there are none). */
export function termsAccepted(p: Principal, terms: TermsSource | undefined): boolean {
  return terms === undefined || p.acceptedTerms.has(terms.current().version);
}

export const TOS_NOT_ACCEPTED = 'tos_not_accepted';

/**
 * Refuses a key whose person (or, for a service account, whose team's admins) has not accepted the terms
 * in force. `acceptUrl` is where to accept them (the console's /ui/terms).
 */
export function requireTermsAccepted(p: Principal, terms: TermsSource | undefined, acceptUrl: () => string): void {
  if (termsAccepted(p, terms)) return;
  const who = p.serviceAccountId === null ? 'You have' : "No admin of this service account's team has";
  throw new Refusal('forbidden', `${who} not accepted the current terms of service (version ${terms!.current().version}). Read and accept them at ${acceptUrl()}`, {
    code: TOS_NOT_ACCEPTED,
    final: true,
  });
}

/** A user's acceptance of one version of the terms of service. */
export interface TermsAcceptance {
  version: string;
  /** Unix ms. */
  acceptedAt: number;
}

/** Who accepted which version of the terms, when (table tos_acceptances). */
export class TermsAcceptances {
  constructor(private readonly sql: Sql) {}

  /**
   * Records that the user accepted this version of the terms (accepting it again keeps the first time).
   * The user's keys, and the service-account keys of the teams they are an admin of, are read again
   * (access changes, in the same transaction).
   */
  accept(userId: number, version: string, at = Date.now()): Promise<void> {
    return this.sql.transaction(async (tx) => {
      const adminOf = await tx.rows<{ team_id: number }>('SELECT team_id FROM team_members WHERE user_id = ? AND is_admin = TRUE ORDER BY team_id', [userId]);
      await tx.run('INSERT INTO tos_acceptances (user_id, version, accepted_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING', [userId, version, at]);
      await recordAccessChangesSql(tx, [{ kind: 'user', ref: userId }, ...adminOf.map((t): AccessChange => ({ kind: 'team', ref: t.team_id }))]);
    });
  }

  /** When the user accepted this version of the terms (Unix ms), or undefined. */
  async acceptedAt(userId: number, version: string): Promise<number | undefined> {
    const row = await this.sql.get<{ at: number }>(`SELECT ${this.sql.num('accepted_at')} AS at FROM tos_acceptances WHERE user_id = ? AND version = ?`, [userId, version]);
    return row?.at;
  }

  /**
   * One acceptance of the terms per user, by user id: of `current` (the version in force) when they
   * accepted it, else their latest. `userId`: that user's only.
   */
  async latest(current: string | undefined, userId?: number): Promise<Map<number, TermsAcceptance>> {
    const rows = await this.sql.rows<{ user_id: number; version: string; accepted_at: number }>(
      `SELECT user_id, version, ${this.sql.num('accepted_at')} AS accepted_at FROM (
         SELECT user_id, version, accepted_at,
                row_number() OVER (PARTITION BY user_id ORDER BY CASE WHEN version = ? THEN 1 ELSE 0 END DESC, accepted_at DESC) AS n
           FROM tos_acceptances${userId === undefined ? '' : ' WHERE user_id = ?'}) AS a
        WHERE n = 1`,
      userId === undefined ? [current ?? null] : [current ?? null, userId],
    );
    return new Map(rows.map((r) => [r.user_id, { version: r.version, acceptedAt: r.accepted_at }]));
  }
}

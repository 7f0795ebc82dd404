/**
 * Every live key with its effective access, in memory: authentication is a hash and a Map lookup, and
 * the key's exclusions and rate limits are already resolved — no database query on the request path.
 * The keys are read through the Sql port (key-reads.ts), the same SQL on SQLite and PostgreSQL.
 *
 * Seeing changes. Writes made by this process call `refresh()`. Writes made elsewhere — another process on
 * the same SQLite file (the CLI while the server runs), or another node on the same PostgreSQL database —
 * bump the `access` revision, which this cache polls: a single-row primary-key read every refresh interval
 * (the setting) on SQLite, and every PG_POLL_MS at most on PostgreSQL. On PostgreSQL the change's transaction
 * also sends a NOTIFY (revisions.ts) that every node LISTENs for (Bun's SQL client keeps one connection for
 * it and re-listens after a drop), so other nodes usually apply a change within milliseconds; the poll is the
 * safety net that bounds it to well under a second when a notification is lost. (Redis pub/sub was the
 * fallback had Bun's client not been able to LISTEN; it can, and it needs no extra service.)
 *
 * A key that is not found also checks the revision at once (within a budget, see MissBudget), so a key
 * printed by `aqueduct token create` or created on another node works on the very next request. That is the
 * only case where `authenticate` waits on the database: it then returns a Promise; a known key is answered
 * synchronously.
 *
 * Changes are applied incrementally: every write logs what it touched in `access_changes` (a key, or a
 * user's, team's or org's keys) and only those keys are read again — renaming one key among 100,000 costs
 * a primary-key read, not a rebuild of every principal on the event loop (bench/key-cache-reload.ts).
 * An org-wide change re-reads that org's keys; a full reload happens at start, for new aliases, or when
 * the cache fell behind the log. Catch-ups and reloads run one at a time (one-at-a-time.ts), so an older
 * read is never applied over a newer one.
 */
import type { Sql } from '../db/sql';
import { hashKey } from './api-key';
import { keyReads } from './key-reads';
import { principalOf, type KeyRow } from './key-rows';
import { oneAtATime } from './one-at-a-time';
import type { Pool } from './rate-limiter';
import { ACCESS_CHANNEL, ACCESS_REVISION, readRevision, type AccessChange } from './revisions';

export type Role = 'user' | 'org-admin' | 'admin';

export interface Limits {
  rpm: number | null;
  itpm: number | null;
  otpm: number | null;
}

export interface Principal {
  keyId: number;
  keyName: string;
  keyPreview: string;
  /** The key's owner (for a service-account key: the user who created it). */
  userId: number;
  email: string;
  role: Role;
  orgId: number;
  /** Set for service-account keys: the team they belong to. */
  teamId: number | null;
  serviceAccountId: number | null;
  /** Unix ms, or null for keys that never expire. */
  expiresAt: number | null;
  excludedModels: ReadonlySet<string>;
  excludedMcpServers: ReadonlySet<string>;
  limits: Limits;
  /**
   * Pooled budgets this key shares with others, on top of its own limits: its team's (service accounts)
   * and its org's, where set. Empty for most keys.
   */
  pools: readonly Pool[];
  /**
   * The terms-of-service versions this key may work under: those its user accepted, or for a
   * service-account key those any admin of its team accepted (src/domain/terms.ts).
   */
  acceptedTerms: ReadonlySet<string>;
}

export interface KeyCache {
  /**
   * The principal for a raw key, or undefined when it is unknown, revoked or expired. A known key is
   * answered at once (a hash and a Map lookup, no await); a Promise comes back only when the cache must look
   * first: for an unknown key (has another process or node just created it?), or while a change made by this
   * process (refresh, reload) or the first load is being applied.
   */
  authenticate(key: string): Principal | undefined | Promise<Principal | undefined>;
  /** The current principal of a key by its id (a batch's key), or undefined when it is revoked or expired. */
  byKeyId(keyId: number): Principal | undefined;
  /** Resolves once the keys have been loaded the first time (byKeyId knows nothing before). */
  readonly ready: Promise<void>;
  /** Resolves once the refreshes and reloads asked for so far are applied (at once when there are none). */
  settled(): Promise<void>;
  /** Re-reads every key (at start, and after changes that are not logged per key, such as new aliases). */
  reload(): Promise<void>;
  /**
   * Applies the access changes logged since the last look (src/domain/revisions.ts): only the keys they
   * touched are read again. What the management API calls after its own writes; requests that start
   * before it is done wait for it, so the change holds from the very next request even unawaited.
   * Never rejects: a failure is reported to `onError` and the next tick tries again.
   */
  refresh(): Promise<void>;
  /** Stops looking for changes and writes the last-used times still held. */
  close(): Promise<void>;
}

export interface AccessDefaults {
  /** Global exclusion lists (settings), merged where org and user/team both merge. */
  excludedModels: readonly string[];
  excludedMcpServers: readonly string[];
  /** Maps an alias to its model name, so an excluded alias excludes its model. */
  canonicalModel?: (name: string) => string;
}

/**
 * Revision reads allowed for unknown keys: a token bucket holding at most MISS_READS_PER_SECOND reads,
 * refilled at that rate. Requests with random or stale keys therefore cost at most that many primary-key
 * reads per second in total, whatever their rate; misses beyond the budget are refused without a read
 * (a new key then works at the latest after the refresh interval, as before). A script that creates a key
 * and uses it at once is well inside the budget.
 */
export const MISS_READS_PER_SECOND = 20;

/** More logged changes than this since the last look: one full reload is cheaper than applying them. */
const MAX_INCREMENTAL_CHANGES = 1_000;

/**
 * PostgreSQL (several nodes): how often at most each node reads the access revision, whatever the refresh
 * interval setting says — the safety net under LISTEN/NOTIFY, so that a revocation made on another node
 * holds here within a second even when a notification is lost (a dropped listening connection).
 */
export const PG_POLL_MS = 250;

export interface KeyCacheOptions {
  missReadsPerSecond?: number;
  /** Reads the access revision; injectable so tests can count the reads. */
  readRevision?: () => Promise<number>;
  /** PostgreSQL: LISTEN for other nodes' changes (default); false leaves the poll alone (to test it). */
  listen?: boolean;
  /** PostgreSQL: the poll's longest interval (default PG_POLL_MS); a test of the push alone sets it high. */
  pgPollMs?: number;
  /** Told about failures the cache recovers from by itself (the next tick tries again). */
  onError?: (message: string, err: unknown) => void;
}

function missBudget(perSecond: number, now: () => number): () => boolean {
  let tokens = perSecond;
  let at = now();
  return () => {
    const t = now();
    tokens = Math.min(perSecond, tokens + ((t - at) * perSecond) / 1000);
    at = t;
    if (tokens < 1) return false;
    tokens -= 1;
    return true;
  };
}

const expired = (p: Principal, at: number) => p.expiresAt !== null && p.expiresAt <= at;

export function createKeyCache(
  sql: Sql,
  refreshIntervalMs = 1000,
  defaults: AccessDefaults = { excludedModels: [], excludedMcpServers: [] },
  now: () => number = Date.now,
  options: KeyCacheOptions = {},
): KeyCache {
  const reads = keyReads(sql);
  const currentRevision = options.readRevision ?? (() => readRevision(sql, ACCESS_REVISION));
  const mayReadOnMiss = missBudget(options.missReadsPerSecond ?? MISS_READS_PER_SECOND, now);
  const canonical = defaults.canonicalModel ?? ((n: string) => n);
  const onError = options.onError ?? (() => {});
  let byHash = new Map<string, Principal>();
  // The hash of each principal, so that a revoked key leaves byHash without a scan (weak: old principals go).
  const hashOf = new WeakMap<Principal, string>();
  let byId = new Map<number, Principal>();
  let revision = -1; // -1: never loaded
  let seenChange = 0;
  const loaded = Promise.withResolvers<void>();
  let closed = false;

  // Last-used times are collected in memory and written every refresh interval, never per request.
  // They are not an access change, so they do not bump the revision.
  let lastUsed = new Map<number, number>();
  const flushLastUsed = async () => {
    if (lastUsed.size === 0) return;
    const batch = lastUsed;
    lastUsed = new Map();
    try {
      await reads.touch(batch);
    } catch (err) {
      // Kept for the next flush, unless a newer use of the key was noted meanwhile.
      for (const [id, at] of batch) if (!lastUsed.has(id)) lastUsed.set(id, at);
      throw err;
    }
  };

  const toPrincipal = (r: KeyRow): Principal => principalOf(r, defaults, canonical);

  /** `known`: the revision just read by the caller (a write in between only means one more catch-up later). */
  const reload = async (known?: number) => {
    const latest = known ?? (await currentRevision());
    // The log's position before the keys: on PostgreSQL each statement sees what committed before it, so
    // the keys read next are at least as new as every change up to it (a change in between is applied
    // again by the next catch-up, which is harmless).
    const last = await reads.lastChange();
    const rows = await reads.all();
    const next = new Map<string, Principal>();
    const nextById = new Map<number, Principal>();
    for (const r of rows) {
      const p = toPrincipal(r);
      next.set(r.key_hash, p);
      nextById.set(p.keyId, p);
      hashOf.set(p, r.key_hash);
    }
    byHash = next;
    byId = nextById;
    seenChange = last;
    revision = latest;
    loaded.resolve();
  };

  /** Replaces the principals of the given keys with what the rows say (a key in `keyIds` without a row is gone). */
  const apply = (keyIds: Iterable<number>, rows: KeyRow[]) => {
    for (const id of keyIds) {
      const old = byId.get(id);
      if (old === undefined) continue;
      byId.delete(id);
      byHash.delete(hashOf.get(old)!);
    }
    for (const r of rows) {
      const p = toPrincipal(r);
      byHash.set(r.key_hash, p);
      byId.set(p.keyId, p);
      hashOf.set(p, r.key_hash);
    }
  };

  /**
   * Applies the logged changes since `seenChange`: a key's own row, or every live key of a changed user,
   * team or org — bounded reads instead of all keys. Too far behind (changes pruned, or very many): reload.
   */
  const catchUp = async () => {
    const latest = await currentRevision();
    if (latest === revision) return;
    if (revision === -1) return reload(latest);
    const log = await reads.changesSince(seenChange, MAX_INCREMENTAL_CHANGES);
    if (!log.intact || log.changes.length > MAX_INCREMENTAL_CHANGES) return reload(latest);
    if (log.changes.length > 0) {
      const refs: Record<AccessChange['kind'], Set<number>> = { key: new Set(), user: new Set(), team: new Set(), org: new Set() };
      for (const c of log.changes) refs[c.kind].add(c.ref);
      const read = (kind: AccessChange['kind']) => (refs[kind].size ? reads.touchedBy(kind, [...refs[kind]]) : Promise.resolve([]));
      // Everything is read before anything is applied, so requests never see half a change. Org-wide rows
      // first, then narrower ones, each read after the one before: where they overlap, the newest read wins.
      const org = await read('org');
      const team = await read('team');
      const user = await read('user');
      const key = await read('key');
      apply([], org);
      apply([], team);
      apply([], user);
      apply(refs.key, key);
      seenChange = log.changes[log.changes.length - 1]!.id;
    }
    revision = latest;
  };

  // Catch-ups and reloads never overlap; a reload waiting to start covers a catch-up asked for meanwhile.
  const jobs = oneAtATime<'catch-up' | 'reload'>((waiting, asked) => waiting === asked || waiting === 'reload');
  const askCatchUp = () => jobs('catch-up', catchUp);

  // This process's own changes (and the first load): requests wait for them (see KeyCache.refresh).
  let settling: Promise<void> | undefined;
  const settle = (job: Promise<void>, failure: string): Promise<void> => {
    const done = job.catch((err) => onError(failure, err));
    settling = done;
    void done.then(() => {
      if (settling === done) settling = undefined;
    });
    return done;
  };
  settle(jobs('reload', () => reload()), 'could not load the keys; trying again at the next refresh');

  const live = (principal: Principal | undefined): Principal | undefined => {
    if (principal === undefined) return undefined;
    const t = now();
    if (expired(principal, t)) return undefined;
    lastUsed.set(principal.keyId, t);
    return principal;
  };

  /** An unknown key: apply what changed since (another process's or node's new key), within the budget. */
  const lookAgain = async (hash: string): Promise<Principal | undefined> => {
    try {
      await askCatchUp();
    } catch {
      // A busy database: refuse this key as before; the refresh tick catches up.
      return undefined;
    }
    return live(byHash.get(hash));
  };

  const find = (hash: string): Principal | undefined | Promise<Principal | undefined> => {
    const principal = byHash.get(hash);
    if (principal !== undefined) return live(principal);
    return mayReadOnMiss() ? lookAgain(hash) : undefined;
  };

  // Failures of the periodic look are reported once, not every tick, until it works again.
  let failing = false;
  const reportTick = (err: unknown) => {
    if (!failing) onError('could not look for key changes; trying again', err);
    failing = true;
  };
  const onPostgres = sql.dialect === 'postgres';
  const interval = onPostgres ? Math.min(refreshIntervalMs, options.pgPollMs ?? PG_POLL_MS) : refreshIntervalMs;
  // Last-used times keep the refresh interval's pace, however often the revision is read.
  const flushEvery = Math.max(1, Math.round(refreshIntervalMs / interval));
  let ticks = 0;
  let ticking = false;
  const tick = async () => {
    if (ticking || closed) return; // a slow database: never pile up ticks
    ticking = true;
    try {
      if (++ticks % flushEvery === 0) await flushLastUsed();
    } catch (err) {
      if (!failing) onError('could not record when keys were last used; trying again', err);
    }
    try {
      await askCatchUp();
      failing = false;
    } catch (err) {
      reportTick(err);
    } finally {
      ticking = false;
    }
  };
  const timer = setInterval(() => void tick(), interval);
  timer.unref();

  // PostgreSQL: a NOTIFY from the transaction of every access change (revisions.ts) makes every node catch
  // up at once; after a dropped listening connection comes back, catch up on what was missed meanwhile.
  const listening =
    sql.listen !== undefined && options.listen !== false
      ? sql
          .listen(ACCESS_CHANNEL, () => void (closed ? undefined : askCatchUp().catch(reportTick)), () => void (closed ? undefined : askCatchUp().catch(reportTick)))
          .catch((err) => {
            onError(`could not listen for access changes; other nodes' changes are seen within ${interval} ms instead`, err);
            return undefined;
          })
      : Promise.resolve(undefined);

  return {
    authenticate(key) {
      const hash = hashKey(key);
      if (settling !== undefined) return settling.then(() => find(hash));
      return find(hash);
    },
    byKeyId(keyId) {
      const principal = byId.get(keyId);
      return principal === undefined || expired(principal, now()) ? undefined : principal;
    },
    // Once loaded and no longer settling, so that a known key is then answered synchronously.
    ready: loaded.promise.then(() => settling),
    settled: () => settling ?? Promise.resolve(),
    reload: () => settle(jobs('reload', () => reload()), 'could not reload the keys; trying again at the next refresh'),
    refresh: () => settle(askCatchUp(), 'could not apply an access change; trying again at the next refresh'),
    async close() {
      closed = true;
      clearInterval(timer);
      try {
        await flushLastUsed();
      } catch {
        // The database is already closed: the times of the last interval are lost, nothing else.
      }
      const stop = await listening;
      await stop?.().catch(() => {});
      await jobs.idle();
    },
  };
}

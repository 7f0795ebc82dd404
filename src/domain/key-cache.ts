/**
 * Every live key with its effective access, in memory: authentication is a hash and a Map lookup, and
 * the key's exclusions and rate limits are already resolved — no database query on the request path.
 * Writes made by this process call `refresh()`; writes made by other processes (the CLI while the server
 * runs) are noticed by polling the `access` revision counter, a single-row primary-key read. A key that is
 * not found also checks the counter at once (within a budget, see MissBudget), so a key printed by
 * `aqueduct token create` works on the very next request instead of after the refresh interval.
 *
 * Changes are applied incrementally: every write logs what it touched in `access_changes` (a key, or a
 * user's, team's or org's keys) and only those keys are read again — renaming one key among 100,000 costs
 * a primary-key read, not a rebuild of every principal on the event loop (bench/key-cache-reload.ts).
 * An org-wide change re-reads that org's keys; a full reload happens at start, for new aliases, or when
 * the cache fell behind the log.
 */
import type { Database } from 'bun:sqlite';
import { hashKey } from './api-key';
import { principalOf, SELECT_KEYS, type KeyRow } from './key-rows';
import type { Pool } from './rate-limiter';
import { ACCESS_REVISION, readRevision, type AccessChange } from './revisions';

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
  /** The principal for a raw key, or undefined when it is unknown, revoked or expired. */
  authenticate(key: string): Principal | undefined;
  /** The current principal of a key by its id (a batch's key), or undefined when it is revoked or expired. */
  byKeyId(keyId: number): Principal | undefined;
  /** Re-reads every key (at start, and after changes that are not logged per key, such as new aliases). */
  reload(): void;
  /**
   * Applies the access changes logged since the last look (src/domain/revisions.ts): only the keys they
   * touched are read again. What the management API calls after its own writes.
   */
  refresh(): void;
  close(): void;
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

export interface KeyCacheOptions {
  missReadsPerSecond?: number;
  /** Reads the access revision; injectable so tests can count the reads. */
  readRevision?: () => number;
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
  sqlite: Database,
  refreshIntervalMs = 1000,
  defaults: AccessDefaults = { excludedModels: [], excludedMcpServers: [] },
  now: () => number = Date.now,
  options: KeyCacheOptions = {},
): KeyCache {
  const load = sqlite.query<KeyRow, []>(SELECT_KEYS);
  // Bounded reads for incremental changes: ids come as a JSON array.
  const byKey = sqlite.query<KeyRow, [string]>(`${SELECT_KEYS} AND k.id IN (SELECT value FROM json_each(?))`);
  const byUser = sqlite.query<KeyRow, [string]>(`${SELECT_KEYS} AND k.user_id IN (SELECT value FROM json_each(?))`);
  const byTeam = sqlite.query<KeyRow, [string]>(`${SELECT_KEYS} AND k.service_account_id IN (SELECT id FROM service_accounts WHERE team_id IN (SELECT value FROM json_each(?)))`);
  const byOrg = sqlite.query<KeyRow, [string]>(`${SELECT_KEYS} AND o.id IN (SELECT value FROM json_each(?))`);
  const changesSince = sqlite.query<{ id: number; kind: AccessChange['kind']; ref: number }, [number]>('SELECT id, kind, ref FROM access_changes WHERE id > ? ORDER BY id');
  const lastChange = sqlite.query<{ id: number }, []>('SELECT coalesce(max(id), 0) AS id FROM access_changes');
  let seenChange = 0;
  const currentRevision = options.readRevision ?? (() => readRevision(sqlite, ACCESS_REVISION));
  const mayReadOnMiss = missBudget(options.missReadsPerSecond ?? MISS_READS_PER_SECOND, now);
  const canonical = defaults.canonicalModel ?? ((n: string) => n);
  let byHash = new Map<string, Principal>();
  // The hash of each principal, so that a revoked key leaves byHash without a scan (weak: old principals go).
  const hashOf = new WeakMap<Principal, string>();
  let byId = new Map<number, Principal>();
  let revision = -1;
  // Last-used times are collected in memory and written with the next refresh tick, never per request.
  // They are not an access change, so they do not bump the revision.
  let lastUsed = new Map<number, number>();
  const touch = sqlite.prepare('UPDATE api_keys SET last_used_at = ? WHERE id = ? AND (last_used_at IS NULL OR last_used_at < ?)');
  const flushLastUsed = () => {
    if (lastUsed.size === 0) return;
    const batch = lastUsed;
    lastUsed = new Map();
    sqlite.transaction(() => {
      for (const [id, at] of batch) touch.run(at, id, at);
    }).immediate();
  };

  const toPrincipal = (r: KeyRow): Principal => principalOf(r, defaults, canonical);

  /** `known`: the revision just read by the caller (saves a second read; a write in between only means one more reload later). */
  const reload = (known?: number) => {
    revision = known ?? currentRevision();
    // One read transaction: the keys and the last change id come from the same snapshot.
    sqlite.transaction(() => {
      seenChange = lastChange.get()!.id;
      const next = new Map<string, Principal>();
      const nextById = new Map<number, Principal>();
      for (const r of load.all()) {
        const p = toPrincipal(r);
        next.set(r.key_hash, p);
        nextById.set(p.keyId, p);
        hashOf.set(p, r.key_hash);
      }
      byHash = next;
      byId = nextById;
    })();
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
  const catchUp = (known?: number) => {
    const latest = known ?? currentRevision();
    if (latest === revision) return;
    let full = false;
    sqlite.transaction(() => {
      const changes = changesSince.all(seenChange);
      if (changes.length === 0) return;
      if (changes[0]!.id !== seenChange + 1 || changes.length > MAX_INCREMENTAL_CHANGES) {
        full = true;
        return;
      }
      const refs: Record<AccessChange['kind'], Set<number>> = { key: new Set(), user: new Set(), team: new Set(), org: new Set() };
      for (const c of changes) refs[c.kind].add(c.ref);
      const json = (set: Set<number>) => JSON.stringify([...set]);
      // Org-wide changes first, then narrower ones: every row read reflects the same snapshot anyway.
      if (refs.org.size) apply([], byOrg.all(json(refs.org)));
      if (refs.team.size) apply([], byTeam.all(json(refs.team)));
      if (refs.user.size) apply([], byUser.all(json(refs.user)));
      if (refs.key.size) apply(refs.key, byKey.all(json(refs.key)));
      seenChange = changes[changes.length - 1]!.id;
    })();
    if (full) reload(latest);
    else revision = latest;
  };
  reload();

  /** An unknown key: reload if another process changed access since (a new key), within the budget. */
  const lookAgain = (hash: string): Principal | undefined => {
    if (!mayReadOnMiss()) return undefined;
    try {
      const latest = currentRevision();
      if (latest === revision) return undefined;
      catchUp(latest);
    } catch {
      // A busy database: refuse this key as before; the refresh tick catches up.
      return undefined;
    }
    return byHash.get(hash);
  };

  const timer = setInterval(() => {
    try {
      flushLastUsed();
      const latest = currentRevision();
      if (latest !== revision) catchUp(latest);
    } catch {
      // A busy or closing database: try again on the next tick.
    }
  }, refreshIntervalMs);
  timer.unref();

  return {
    authenticate(key) {
      const hash = hashKey(key);
      let principal = byHash.get(hash);
      if (principal === undefined) principal = lookAgain(hash);
      if (principal === undefined) return undefined;
      const t = now();
      if (expired(principal, t)) return undefined;
      lastUsed.set(principal.keyId, t);
      return principal;
    },
    byKeyId(keyId) {
      const principal = byId.get(keyId);
      return principal === undefined || expired(principal, now()) ? undefined : principal;
    },
    reload: () => reload(),
    refresh: () => catchUp(),
    close: () => {
      clearInterval(timer);
      try {
        flushLastUsed();
      } catch {
        // The database is already closed: the times of the last second are lost, nothing else.
      }
    },
  };
}

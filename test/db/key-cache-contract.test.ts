/**
 * The key cache (src/domain/key-cache.ts) through the Sql port, the same assertions on SQLite and
 * PostgreSQL: every level's limits, exclusions, pools and terms resolve to the same principal; logged
 * changes are applied incrementally; last-used times are written in batches; and a change made through a
 * second connection — another node (PostgreSQL), another process (SQLite) — reaches the cache without being
 * told: a revocation or policy change within a second, a new key at once.
 */
import { afterAll, afterEach, describe, expect, setDefaultTimeout, test } from 'bun:test';
import type { Sql } from '../../src/db/sql';
import { createKeyCache, type KeyCache, type KeyCacheOptions, type Principal } from '../../src/domain/key-cache';
import { KEPT_ACCESS_CHANGES } from '../../src/domain/revisions';
import { accepted, apiKey, changed, member, org, serviceAccount, team, update, user } from '../support/access-rows';
import { DIALECTS, peer, stopDialects } from './sql-dialects';

setDefaultTimeout(30_000);
let caches: KeyCache[] = [];
afterEach(async () => {
  for (const c of caches.splice(0)) await c.close();
});
afterAll(stopDialects);

/** Year 2100 in unix ms: past 2^31, so a bigint on PostgreSQL. */
const FAR = 4_102_444_800_000;

function open(sql: Sql, refreshMs = 60_000, options: KeyCacheOptions = {}) {
  const cache = createKeyCache(sql, refreshMs, { excludedModels: ['global-m'], excludedMcpServers: ['global-mcp'] }, Date.now, options);
  caches.push(cache);
  return cache;
}

/** A key the cache holds, answered synchronously (a Promise would mean it is not in the cache). */
function hit(cache: KeyCache, key: string): Principal | undefined {
  const found = cache.authenticate(key);
  if (found instanceof Promise) throw new Error('not in the cache: authenticate had to look');
  return found;
}

/** Waits until `ok()` holds, checking every 10 ms for up to `ms`; returns how long it took. */
async function within(ms: number, ok: () => boolean): Promise<number> {
  const start = performance.now();
  while (!ok()) {
    if (performance.now() - start > ms) throw new Error(`not within ${ms} ms`);
    await Bun.sleep(10);
  }
  return performance.now() - start;
}

/** An org with a user-level and a team-level setup covering every rule of key-rows.ts. */
async function world(sql: Sql) {
  const o = await org(sql, 'physics', { rpm: 100, itpm: 1000, excluded_models: ['org-m'], excluded_mcp_servers: ['org-mcp'], pool_rpm: 50 });
  const alice = await user(sql, 'alice@example.org', o, { rpm: 10, excluded_models: ['alice-m'] });
  const bob = await user(sql, 'bob@example.org', o, { excluded_models: ['bob-m'], merge_model_exclusions: false, merge_mcp_exclusions: false });
  const carol = await user(sql, 'carol@example.org', o);
  const dave = await user(sql, 'dave@example.org', o);
  const t = await team(sql, o, 'optics', { rpm: 7, pool_rpm: 3, pool_otpm: 3_000_000_000, excluded_models: ['team-m'] });
  await member(sql, t, carol, true);
  await member(sql, t, dave, false);
  await accepted(sql, alice, 'v1');
  await accepted(sql, carol, 'v1');
  await accepted(sql, carol, 'v2');
  await accepted(sql, dave, 'v3'); // a plain member: does not count for the team's keys
  const sa = await serviceAccount(sql, t, 'ci');
  return {
    o,
    t,
    sa,
    alice,
    bob,
    aliceKey: await apiKey(sql, alice, { name: 'a', rpm: 5 }),
    bobKey: await apiKey(sql, bob, { name: 'b', expiresAt: FAR }),
    botKey: await apiKey(sql, alice, { name: 'bot', serviceAccountId: sa }),
    expired: await apiKey(sql, alice, { name: 'old', expiresAt: Date.now() - 1 }),
  };
}

const sorted = (s: ReadonlySet<string>) => [...s].sort();

for (const d of DIALECTS) {
  describe(d.name, () => {
    test('limits, exclusions, pools and terms resolve the same way on every dialect', async () => {
      const sql = await d.fresh();
      const w = await world(sql);
      const revoked = await apiKey(sql, w.alice);
      await sql.run('UPDATE api_keys SET revoked_at = ? WHERE id = ?', [Date.now(), revoked.id]);
      const cache = open(sql);
      await cache.ready;

      const a = hit(cache, w.aliceKey.key)!;
      expect(a).toMatchObject({ keyId: w.aliceKey.id, keyName: 'a', userId: w.alice, email: 'alice@example.org', role: 'user', orgId: w.o, teamId: null, serviceAccountId: null, expiresAt: null });
      expect(a.limits).toEqual({ rpm: 5, itpm: 1000, otpm: null }); // key, then user, then org
      expect(sorted(a.excludedModels)).toEqual(['alice-m', 'global-m', 'org-m']);
      expect(sorted(a.excludedMcpServers)).toEqual(['global-mcp', 'org-mcp']);
      expect(a.pools).toEqual([{ id: `org:${w.o}`, label: 'Org', limits: { rpm: 50, itpm: null, otpm: null } }]);
      expect(sorted(a.acceptedTerms)).toEqual(['v1']);

      const b = hit(cache, w.bobKey.key)!;
      expect(b.expiresAt).toBe(FAR);
      expect(b.limits).toEqual({ rpm: 100, itpm: 1000, otpm: null });
      expect(sorted(b.excludedModels)).toEqual(['bob-m', 'global-m']); // does not merge the org's; the global list binds anyway
      expect(sorted(b.excludedMcpServers)).toEqual(['global-mcp']);
      expect(b.acceptedTerms.size).toBe(0);

      const bot = hit(cache, w.botKey.key)!;
      expect(bot).toMatchObject({ keyId: w.botKey.id, userId: w.alice, orgId: w.o, teamId: w.t, serviceAccountId: w.sa });
      expect(bot.limits).toEqual({ rpm: 7, itpm: 1000, otpm: null }); // the team in the user's place
      expect(sorted(bot.excludedModels)).toEqual(['global-m', 'org-m', 'team-m']);
      expect(bot.pools).toEqual([
        { id: `team:${w.t}`, label: 'Team', limits: { rpm: 3, itpm: null, otpm: 3_000_000_000 } },
        { id: `org:${w.o}`, label: 'Org', limits: { rpm: 50, itpm: null, otpm: null } },
      ]);
      expect(sorted(bot.acceptedTerms)).toEqual(['v1', 'v2']); // its team's admins' acceptances

      expect(await cache.authenticate(revoked.key)).toBeUndefined();
      expect(await cache.authenticate(w.expired.key)).toBeUndefined();
      expect(cache.byKeyId(w.expired.id)).toBeUndefined();
      expect(cache.byKeyId(w.botKey.id)).toBe(bot);
    });

    test("logged changes re-read only the keys they touched: a key's, a user's, a team's, an org's", async () => {
      const sql = await d.fresh();
      const w = await world(sql);
      const cache = open(sql);
      await cache.ready;
      const sneakyRename = (id: number, name: string) => sql.run('UPDATE api_keys SET name = ? WHERE id = ?', [name, id]);

      await sneakyRename(w.bobKey.id, 'sneaky'); // not logged: only a re-read of bob's key shows it
      await changed(sql, [{ kind: 'key', ref: w.aliceKey.id }], (tx) => update(tx, 'api_keys', w.aliceKey.id, { name: 'renamed', rpm: 6 }));
      await cache.refresh();
      expect(hit(cache, w.aliceKey.key)).toMatchObject({ keyName: 'renamed', limits: { rpm: 6 } });
      expect(hit(cache, w.bobKey.key)!.keyName).toBe('b');

      await changed(sql, [{ kind: 'user', ref: w.alice }], (tx) => update(tx, 'users', w.alice, { excluded_models: ['x'] }));
      await changed(sql, [{ kind: 'team', ref: w.t }], (tx) => update(tx, 'teams', w.t, { rpm: 9, pool_rpm: null, pool_otpm: null }));
      await cache.refresh();
      expect(sorted(hit(cache, w.aliceKey.key)!.excludedModels)).toEqual(['global-m', 'org-m', 'x']);
      expect(hit(cache, w.botKey.key)!.limits.rpm).toBe(9);
      expect(hit(cache, w.botKey.key)!.pools.map((p) => p.id)).toEqual([`org:${w.o}`]);
      expect(hit(cache, w.bobKey.key)!.keyName).toBe('b');

      await changed(sql, [{ kind: 'org', ref: w.o }], (tx) => update(tx, 'orgs', w.o, { otpm: 11, merge_mcp_exclusions: false }));
      await cache.refresh();
      expect(hit(cache, w.bobKey.key)).toMatchObject({ keyName: 'sneaky', limits: { otpm: 11 } }); // every key of the org re-read
      expect(sorted(hit(cache, w.aliceKey.key)!.excludedMcpServers)).toEqual(['global-mcp', 'org-mcp']); // the user's flag decides, not the org's

      const fresh = await apiKey(sql, w.bob, { name: 'fresh' });
      await changed(sql, [{ kind: 'key', ref: fresh.id }, { kind: 'key', ref: w.aliceKey.id }], (tx) =>
        tx.run('UPDATE api_keys SET revoked_at = ? WHERE id = ?', [Date.now(), w.aliceKey.id]),
      );
      await cache.refresh();
      expect(hit(cache, fresh.key)!.keyName).toBe('fresh');
      expect(cache.byKeyId(w.aliceKey.id)).toBeUndefined();
      expect(await cache.authenticate(w.aliceKey.key)).toBeUndefined();
    });

    test('a cache behind more changes than the log keeps reloads in full', async () => {
      const sql = await d.fresh();
      const w = await world(sql);
      const cache = open(sql);
      await cache.ready;
      await sql.run('UPDATE api_keys SET name = ? WHERE id = ?', ['sneaky', w.bobKey.id]);
      const many = Array.from({ length: KEPT_ACCESS_CHANGES + 5 }, () => ({ kind: 'key' as const, ref: w.aliceKey.id }));
      await changed(sql, many);
      await cache.refresh();
      expect(hit(cache, w.bobKey.key)!.keyName).toBe('sneaky');
    });

    test('refreshes asked for together are applied one at a time, in order: the last write wins', async () => {
      const sql = await d.fresh();
      const w = await world(sql);
      const cache = open(sql);
      await cache.ready;
      const applied: Promise<void>[] = [];
      for (let i = 1; i <= 20; i++) {
        await changed(sql, [{ kind: 'key', ref: w.aliceKey.id }], (tx) => update(tx, 'api_keys', w.aliceKey.id, { rpm: i }));
        applied.push(cache.refresh()); // not awaited: they overlap
        if (i % 3 === 0) applied.push(cache.reload());
      }
      await Promise.all(applied);
      expect(hit(cache, w.aliceKey.key)!.limits.rpm).toBe(20);
    });

    test('last-used times are written in a batch through the port, never over a later one', async () => {
      const sql = await d.fresh();
      const w = await world(sql);
      const cache = open(sql);
      await cache.ready;
      const before = Date.now();
      expect(hit(cache, w.aliceKey.key)).toBeDefined();
      expect(hit(cache, w.botKey.key)).toBeDefined();
      await sql.run('UPDATE api_keys SET last_used_at = ? WHERE id = ?', [FAR, w.botKey.id]); // another node, later
      const lastUsed = async (id: number) => (await sql.get<{ t: number | null }>(`SELECT ${sql.num('last_used_at')} AS t FROM api_keys WHERE id = ?`, [id]))!.t;
      expect(await lastUsed(w.aliceKey.id)).toBeNull(); // not on the request path
      await cache.close(); // writes what it holds
      const t = (await lastUsed(w.aliceKey.id))!;
      expect(t).toBeGreaterThanOrEqual(before);
      expect(t).toBeLessThanOrEqual(Date.now());
      expect(await lastUsed(w.botKey.id)).toBe(FAR);
      expect(await lastUsed(w.bobKey.id)).toBeNull();
    });

    test('another connection\'s changes: a new key works at once, a revocation and a policy change hold within a second', async () => {
      const sql = await d.fresh();
      const w = await world(sql);
      const other = await peer(sql); // another node (PostgreSQL) or process (SQLite) on the same database
      const cache = open(sql, 500); // SQLite polls every 500 ms here; PostgreSQL at most every 250 ms, and listens
      await cache.ready;

      const made = await apiKey(other, w.bob, { name: 'elsewhere' });
      await changed(other, [{ kind: 'key', ref: made.id }]);
      expect((await cache.authenticate(made.key))?.keyName).toBe('elsewhere'); // the miss path, no refresh

      expect(hit(cache, w.bobKey.key)).toBeDefined();
      await changed(other, [{ kind: 'key', ref: w.bobKey.id }], (tx) => tx.run('UPDATE api_keys SET revoked_at = ? WHERE id = ?', [Date.now(), w.bobKey.id]));
      expect(await within(1000, () => cache.byKeyId(w.bobKey.id) === undefined)).toBeLessThan(1000);
      expect(await cache.authenticate(w.bobKey.key)).toBeUndefined();

      await changed(other, [{ kind: 'org', ref: w.o }], (tx) => update(tx, 'orgs', w.o, { itpm: 1234 }));
      await within(1000, () => hit(cache, w.aliceKey.key)!.limits.itpm === 1234);
    });
  });
}

describe('postgres: other nodes', () => {
  const pg = DIALECTS.find((d) => d.name === 'postgres')!;

  test('the NOTIFY alone brings another node\'s change (the poll set to a minute)', async () => {
    const sql = await pg.fresh();
    const w = await world(sql);
    const other = await peer(sql);
    const cache = open(sql, 60_000, { pgPollMs: 60_000 });
    await cache.ready;
    // Until the LISTEN is in place (a notification sent before it would be lost; the poll is a minute here).
    const listening = () => other.get<{ n: number }>(`SELECT ${other.num('count(*)')} AS n FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'LISTEN%'`);
    for (let i = 0; (await listening())!.n === 0; i++) {
      if (i > 500) throw new Error('the cache never listened');
      await Bun.sleep(10);
    }
    await changed(other, [{ kind: 'user', ref: w.alice }], (tx) => update(tx, 'users', w.alice, { itpm: 77 }));
    await within(1000, () => hit(cache, w.aliceKey.key)!.limits.itpm === 77);
    await changed(other, [{ kind: 'key', ref: w.aliceKey.id }], (tx) => update(tx, 'api_keys', w.aliceKey.id, { rpm: null }));
    await within(1000, () => hit(cache, w.aliceKey.key)!.limits.rpm === 10); // the user's, now that the key has none
  });

  test('a change made while the listening connection was down is applied once it listens again', async () => {
    const sql = await pg.fresh();
    const w = await world(sql);
    const other = await peer(sql);
    const cache = open(sql, 60_000, { pgPollMs: 60_000 });
    await cache.ready;
    const listener = async () =>
      (await other.get<{ pid: number }>("SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'LISTEN%'"))?.pid;
    const until = async <T>(what: () => Promise<T | undefined>, ms: number): Promise<T> => {
      const start = performance.now();
      for (;;) {
        const v = await what();
        if (v !== undefined) return v;
        if (performance.now() - start > ms) throw new Error(`not within ${ms} ms`);
        await Bun.sleep(10);
      }
    };
    const first = await until(listener, 5000);
    await other.get('SELECT pg_terminate_backend(?)', [first]);
    // Its notification goes nowhere: nobody listens right now.
    await changed(other, [{ kind: 'key', ref: w.aliceKey.id }], (tx) => update(tx, 'api_keys', w.aliceKey.id, { name: 'while-down' }));
    await until(async () => {
      const pid = await listener();
      return pid !== undefined && pid !== first ? pid : undefined;
    }, 10_000);
    await within(1000, () => hit(cache, w.aliceKey.key)!.keyName === 'while-down');
  });

  test('the poll alone brings it within a second when no notification comes (not listening)', async () => {
    const sql = await pg.fresh();
    const w = await world(sql);
    const other = await peer(sql);
    const cache = open(sql, 60_000, { listen: false }); // the setting says a minute; on PostgreSQL the poll is capped
    await cache.ready;
    await changed(other, [{ kind: 'key', ref: w.aliceKey.id }], (tx) => tx.run('UPDATE api_keys SET revoked_at = ? WHERE id = ?', [Date.now(), w.aliceKey.id]));
    await within(1000, () => cache.byKeyId(w.aliceKey.id) === undefined);
  });
});

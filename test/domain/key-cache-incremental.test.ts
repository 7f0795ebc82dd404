/**
 * The key cache applies access changes incrementally: each write logs what it touched (a key, or a user's,
 * team's or org's keys) and `refresh()` reads just those keys again. A raw, unlogged edit of another key
 * proves that nothing else was re-read; a cache too far behind the log reloads in full.
 */
import { afterEach, describe, expect, test } from 'bun:test';
import { openDatabase } from '../../src/db/connection';
import { migrate } from '../../src/db/migrate';
import { createKeyCache, type KeyCache, type Principal } from '../../src/domain/key-cache';
import { Directory } from '../../src/domain/directory';
import { KEPT_ACCESS_CHANGES, recordAccessChangesSql } from '../../src/domain/revisions';
import { tempDir } from '../support/binary';

let open: { close(): unknown }[] = [];
afterEach(async () => {
  for (const x of open.reverse()) await x.close();
  open = [];
});

/** A key the cache holds, answered synchronously (a Promise would mean it is not in the cache). */
function hit(cache: KeyCache, key: string): Principal | undefined {
  const found = cache.authenticate(key);
  if (found instanceof Promise) throw new Error('not in the cache: authenticate had to look');
  return found;
}

async function setup() {
  const dir = tempDir('aq-keycache-inc-');
  const server = openDatabase(dir);
  migrate(server.sqlite);
  const cache = createKeyCache(server.sql, 60_000);
  const cli = openDatabase(dir); // another process's connection
  open.push(server, cli, cache);
  const d = new Directory(cli.sql);
  const org = await d.createOrg('o');
  const team = await d.createTeam(org.id, 't');
  const alice = await d.createUser('alice@example.com', org.id);
  const bob = await d.createUser('bob@example.com', org.id);
  const a = await d.tokens.createKey(alice.id, 'a');
  const b = await d.tokens.createKey(bob.id, 'b');
  const bot = await d.createServiceAccount(team.id, 'bot', '', alice.id);
  await cache.refresh();
  /** Renames a key behind the log's back: only a full reload would see it. */
  const sneakyRename = (id: number, name: string) => cli.sqlite.run('UPDATE api_keys SET name = ? WHERE id = ?', [name, id]);
  return { cache, d, cli, org, team, alice, bob, a, b, bot, sneakyRename };
}

describe('incremental key cache', () => {
  test('a key change reads that key only', async () => {
    const { cache, d, a, b, sneakyRename } = await setup();
    sneakyRename(b.id, 'sneaky');
    await d.tokens.updateKey(a.id, { name: 'renamed', rpm: 5 });
    await cache.refresh();
    expect(hit(cache, a.key)).toMatchObject({ keyName: 'renamed', limits: { rpm: 5 } });
    expect(hit(cache, b.key)?.keyName).toBe('b'); // not re-read
    await cache.reload();
    expect(hit(cache, b.key)?.keyName).toBe('sneaky');
  });

  test('revoked and deleted keys leave the cache; new keys enter it', async () => {
    const { cache, d, alice, a, bot } = await setup();
    await d.tokens.revokeKey(a.id);
    await d.deleteServiceAccount(bot.serviceAccount.id);
    const fresh = await d.tokens.createKey(alice.id, 'fresh');
    await cache.refresh();
    expect(await cache.authenticate(a.key)).toBeUndefined();
    expect(cache.byKeyId(a.id)).toBeUndefined();
    expect(await cache.authenticate(bot.key)).toBeUndefined();
    expect(cache.byKeyId(bot.keyId)).toBeUndefined();
    expect(hit(cache, fresh.key)?.keyName).toBe('fresh');
  });

  test("a user's, team's or org's change reads their keys and no others", async () => {
    const { cache, d, org, team, alice, a, b, bot, sneakyRename } = await setup();
    sneakyRename(b.id, 'sneaky');
    await d.updateUser(alice.id, { rpm: 7, excludedModels: ['x'] });
    await d.updateTeam(team.id, { rpm: 9 });
    await cache.refresh();
    expect(hit(cache, a.key)!.limits.rpm).toBe(7);
    expect([...hit(cache, a.key)!.excludedModels]).toEqual(['x']);
    expect(hit(cache, bot.key)!.limits.rpm).toBe(9);
    expect(hit(cache, b.key)!.keyName).toBe('b');
    await d.updateOrg(org.id, { otpm: 11 });
    await cache.refresh();
    // Every key of the org was read again, bob's included.
    expect(hit(cache, b.key)).toMatchObject({ keyName: 'sneaky', limits: { otpm: 11 } });
    expect(hit(cache, a.key)!.limits.otpm).toBe(11);
  });

  test('a cache behind more changes than the log keeps reloads in full', async () => {
    const { cache, cli, a, b, sneakyRename } = await setup();
    sneakyRename(b.id, 'sneaky');
    const many = Array.from({ length: KEPT_ACCESS_CHANGES + 5 }, () => ({ kind: 'key' as const, ref: a.id }));
    await cli.sql.transaction((tx) => recordAccessChangesSql(tx, many));
    await cache.refresh();
    expect(hit(cache, b.key)?.keyName).toBe('sneaky');
  });
});

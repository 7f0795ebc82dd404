/** The key cache sees keys created by another process (the CLI) at once, within a bounded number of reads. */
import { afterEach, describe, expect, test } from 'bun:test';
import { openDatabase } from '../../src/db/connection';
import { migrate } from '../../src/db/migrate';
import { generateKey } from '../../src/domain/api-key';
import { createKeyCache, MISS_READS_PER_SECOND, type Principal } from '../../src/domain/key-cache';
import { ACCESS_REVISION, readRevision } from '../../src/domain/revisions';
import { TokenService } from '../../src/domain/tokens';
import { tempDir } from '../support/binary';

let open: { close(): unknown }[] = [];
afterEach(async () => {
  for (const x of open.reverse()) await x.close();
  open = [];
});

/** The gateway's connection with its cache (refreshing only every minute), and a second "CLI" connection. */
async function setup(now: () => number = Date.now) {
  const dir = tempDir('aq-keycache-');
  const server = openDatabase(dir);
  migrate(server.sqlite);
  let reads = 0;
  const cache = createKeyCache(server.sql, 60_000, undefined, now, {
    readRevision: () => {
      reads++;
      return readRevision(server.sql, ACCESS_REVISION);
    },
  });
  await cache.ready;
  const cli = openDatabase(dir);
  open.push(server, cli, cache);
  return { cache, tokens: new TokenService(cli.sql), reads: () => reads };
}

describe('key cache', () => {
  test('a key created through another connection is found at once (no refresh tick in between)', async () => {
    const { cache, tokens, reads } = await setup();
    const user = (await tokens.ensureUser('cli@example.com')).id;
    for (let i = 0; i < 5; i++) {
      const { key } = await tokens.createKey(user, `k${i}`);
      expect((await cache.authenticate(key))?.email).toBe('cli@example.com');
    }
    // found again without reading the revision, and synchronously: a hit is a Map lookup
    const before = reads();
    const { key } = await tokens.createKey(user, 'again');
    expect(cache.authenticate(key)).toBeInstanceOf(Promise); // a miss looks
    expect(await cache.authenticate(key)).toBeDefined();
    expect(reads()).toBe(before + 1);
    for (let i = 0; i < 100; i++) expect((cache.authenticate(key) as Principal).email).toBe('cli@example.com');
    expect(reads()).toBe(before + 1);
  });

  test(`10,000 unknown keys cost at most ${MISS_READS_PER_SECOND} revision reads per second; beyond the budget a miss reads nothing`, async () => {
    let t = 1_000_000;
    const { cache, tokens, reads } = await setup(() => t);
    const start = reads(); // the first load
    for (let i = 0; i < 10_000; i++) expect(await cache.authenticate(generateKey())).toBeUndefined();
    expect(reads() - start).toBe(MISS_READS_PER_SECOND);
    // budget spent: a new key is refused without a read (the refresh tick would pick it up) …
    const { key } = await tokens.createKey((await tokens.ensureUser('late@example.com')).id);
    expect(cache.authenticate(key)).toBeUndefined(); // synchronously: nothing to wait for
    expect(reads() - start).toBe(MISS_READS_PER_SECOND);
    // … and a second later the budget has refilled: the key is found
    t += 1000;
    expect((await cache.authenticate(key))?.email).toBe('late@example.com');
    for (let i = 0; i < 10_000; i++) expect(await cache.authenticate(generateKey())).toBeUndefined();
    expect(reads() - start).toBe(2 * MISS_READS_PER_SECOND);
  });

  test('unknown keys arriving together share one look at the revision', async () => {
    const { cache, tokens, reads } = await setup();
    const { key } = await tokens.createKey((await tokens.ensureUser('burst@example.com')).id);
    const start = reads();
    const answers = await Promise.all([key, generateKey(), generateKey(), key, generateKey()].map((k) => cache.authenticate(k)));
    expect(answers.map((p) => p?.email)).toEqual(['burst@example.com', undefined, undefined, 'burst@example.com', undefined]);
    expect(reads() - start).toBe(1);
  });

  test('a catch-up on a miss applies what changed: a key revoked meanwhile by another process is refused', async () => {
    const { cache, tokens } = await setup();
    const { key, id } = await tokens.createKey((await tokens.ensureUser('gone@example.com')).id);
    expect(await cache.authenticate(key)).toBeDefined();
    await tokens.revokeKey(id);
    // a hit does not read the revision: until the refresh tick (or a miss), the revoked key still passes
    expect(cache.authenticate(key)).toBeDefined();
    expect(await cache.authenticate(generateKey())).toBeUndefined(); // a miss: the revision changed → catch up
    expect(await cache.authenticate(key)).toBeUndefined(); // now unknown itself (a miss, which finds nothing new)
  });

  test("requests that start while this process's own change is being applied wait for it (refresh not awaited)", async () => {
    const { cache, tokens } = await setup();
    const { key, id } = await tokens.createKey((await tokens.ensureUser('mine@example.com')).id);
    expect(await cache.authenticate(key)).toBeDefined();
    await tokens.updateKey(id, { name: 'renamed' });
    void cache.refresh(); // as the management routes do after a write
    const answer = cache.authenticate(key);
    expect(answer).toBeInstanceOf(Promise);
    expect((await answer)?.keyName).toBe('renamed');
    expect((cache.authenticate(key) as Principal).keyName).toBe('renamed'); // applied: synchronous again
    await tokens.revokeKey(id);
    void cache.refresh();
    expect(await cache.authenticate(key)).toBeUndefined();
    expect(cache.byKeyId(id)).toBeUndefined();
  });
});

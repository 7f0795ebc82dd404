/** The key cache sees keys created by another process (the CLI) at once, within a bounded number of reads. */
import { afterEach, describe, expect, test } from 'bun:test';
import { openDatabase } from '../../src/db/connection';
import { migrate } from '../../src/db/migrate';
import { generateKey } from '../../src/domain/api-key';
import { createKeyCache, MISS_READS_PER_SECOND } from '../../src/domain/key-cache';
import { ACCESS_REVISION, readRevision } from '../../src/domain/revisions';
import { TokenService } from '../../src/domain/tokens';
import { tempDir } from '../support/binary';

let open: { close(): void }[] = [];
afterEach(() => {
  for (const x of open.reverse()) x.close();
  open = [];
});

/** The gateway's connection with its cache (refreshing only every minute), and a second "CLI" connection. */
function setup(now: () => number = Date.now) {
  const dir = tempDir('aq-keycache-');
  const server = openDatabase(dir);
  migrate(server.sqlite);
  let reads = 0;
  const cache = createKeyCache(server.sqlite, 60_000, undefined, now, {
    readRevision: () => {
      reads++;
      return readRevision(server.sqlite, ACCESS_REVISION);
    },
  });
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
      expect(cache.authenticate(key)?.email).toBe('cli@example.com');
    }
    // found again without reading the revision: a hit is a Map lookup
    const before = reads();
    const { key } = await tokens.createKey(user, 'again');
    expect(cache.authenticate(key)).toBeDefined();
    expect(reads()).toBe(before + 1);
    for (let i = 0; i < 100; i++) expect(cache.authenticate(key)).toBeDefined();
    expect(reads()).toBe(before + 1);
  });

  test(`10,000 unknown keys cost at most ${MISS_READS_PER_SECOND} revision reads per second; beyond the budget a miss reads nothing`, async () => {
    let t = 1_000_000;
    const { cache, tokens, reads } = await setup(() => t);
    const start = reads(); // the first load
    for (let i = 0; i < 10_000; i++) expect(cache.authenticate(generateKey())).toBeUndefined();
    expect(reads() - start).toBe(MISS_READS_PER_SECOND);
    // budget spent: a new key is refused without a read (the refresh tick would pick it up) …
    const { key } = await tokens.createKey((await tokens.ensureUser('late@example.com')).id);
    expect(cache.authenticate(key)).toBeUndefined();
    expect(reads() - start).toBe(MISS_READS_PER_SECOND);
    // … and a second later the budget has refilled: the key is found
    t += 1000;
    expect(cache.authenticate(key)?.email).toBe('late@example.com');
    for (let i = 0; i < 10_000; i++) expect(cache.authenticate(generateKey())).toBeUndefined();
    expect(reads() - start).toBe(2 * MISS_READS_PER_SECOND);
  });

  test('a reload on a miss rebuilds the whole map: a key revoked meanwhile by another process is refused', async () => {
    const { cache, tokens } = await setup();
    const { key, id } = await tokens.createKey((await tokens.ensureUser('gone@example.com')).id);
    expect(cache.authenticate(key)).toBeDefined();
    await tokens.revokeKey(id);
    // a hit does not read the revision: until the refresh tick (or a miss), the revoked key still passes
    expect(cache.authenticate(key)).toBeDefined();
    expect(cache.authenticate(generateKey())).toBeUndefined(); // a miss: the revision changed → reload
    expect(cache.authenticate(key)).toBeUndefined();
  });
});

/**
 * How long a key change stalls the event loop, with 100,000 keys in the key cache.
 *
 *   bun bench/key-cache-reload.ts [--keys 100000] [--rounds 20]
 *
 * Creates the keys in a temporary SQLite database, builds the key cache, then renames, revokes and creates
 * keys — in this process (the admin API's path: write, then apply the change to the cache at once) and from
 * another connection (the CLI's path: the cache notices on its refresh tick). A 1 ms interval timer records
 * the longest gap between its ticks, i.e. the longest time no request could have been served; the writes
 * made by this process are also timed directly (write + cache update, as a request handler does).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from '../src/db/connection';
import { migrate } from '../src/db/migrate';
import { generateKey, hashKey, keyPreview } from '../src/domain/api-key';
import { Directory } from '../src/domain/directory';
import { createKeyCache, type KeyCache } from '../src/domain/key-cache';

const arg = (name: string, def: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const KEYS = arg('keys', 100_000);
const ROUNDS = arg('rounds', 20);
const KEYS_PER_USER = 10;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const dir = mkdtempSync(join(tmpdir(), 'aq-keycache-bench-'));
const h = openDatabase(dir);
migrate(h.sqlite);
const directory = new Directory(h);
const org = directory.createOrg('bench');

let t0 = performance.now();
const ids: number[] = [];
h.sqlite.transaction(() => {
  const user = h.sqlite.prepare<{ id: number }, [string, number]>('INSERT INTO users (email, org_id) VALUES (?, ?) RETURNING id');
  const key = h.sqlite.prepare<{ id: number }, [string, string, string, number]>('INSERT INTO api_keys (key_hash, preview, name, user_id) VALUES (?, ?, ?, ?) RETURNING id');
  let userId = 0;
  for (let i = 0; i < KEYS; i++) {
    if (i % KEYS_PER_USER === 0) userId = user.get(`user${i / KEYS_PER_USER}@bench.example`, org.id)!.id;
    const raw = generateKey();
    ids.push(key.get(hashKey(raw), keyPreview(raw), `key ${i}`, userId)!.id);
  }
})();
console.log(`${KEYS} keys created in ${(performance.now() - t0).toFixed(0)} ms`);

t0 = performance.now();
const cache: KeyCache = createKeyCache(h.sqlite, 50);
console.log(`key cache built in ${(performance.now() - t0).toFixed(0)} ms`);
// The admin API applies its own writes at once (`changed()`): an incremental refresh where the cache has one.
const applyNow = () => ('refresh' in cache && typeof cache.refresh === 'function' ? cache.refresh() : cache.reload());

// The event-loop monitor: the longest gap between 1 ms ticks, minus the tick.
let last = performance.now();
let worstGap = 0;
const monitor = setInterval(() => {
  const now = performance.now();
  worstGap = Math.max(worstGap, now - last - 1);
  last = now;
}, 1);

const other = openDatabase(dir); // "another process": the CLI writing while the server runs
const otherDirectory = new Directory(other);
const local: Record<string, number[]> = { rename: [], revoke: [], create: [] };
const cacheOnly: number[] = [];
const userIds = h.sqlite.query<{ id: number }, []>('SELECT id FROM users ORDER BY id').all().map((r) => r.id);
const timed = (kind: string, fn: () => void) => {
  const s = performance.now();
  fn();
  const written = performance.now();
  applyNow();
  const done = performance.now();
  local[kind]!.push(done - s);
  cacheOnly.push(done - written);
};

await sleep(200);
worstGap = 0;
for (let i = 0; i < ROUNDS; i++) {
  const id = ids[(i * 7919) % ids.length]!;
  timed('rename', () => directory.tokens.updateKey(id, { name: `renamed ${i}` }));
  await sleep(5);
  timed('revoke', () => directory.tokens.revokeKey(ids[ids.length - 1 - i]!));
  await sleep(5);
  timed('create', () => directory.tokens.createKey(userIds[i]!, `new ${i}`));
  await sleep(5);
}
const localGap = worstGap;
worstGap = 0;
for (let i = 0; i < ROUNDS; i++) {
  const id = ids[(i * 104_729) % ids.length]!;
  otherDirectory.tokens.updateKey(id, { name: `cli rename ${i}` });
  otherDirectory.tokens.revokeKey(ids[ids.length - 1 - ROUNDS - i]!);
  otherDirectory.tokens.createKey(userIds[ROUNDS + i]!, `cli new ${i}`);
  await sleep(120); // at least two refresh ticks
}
const remoteGap = worstGap;
clearInterval(monitor);

const stats = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return `median ${s[Math.floor(s.length / 2)]!.toFixed(2)} ms, max ${s[s.length - 1]!.toFixed(2)} ms`;
};
console.log(`\nkeys: ${KEYS}, rounds: ${ROUNDS}`);
for (const [kind, xs] of Object.entries(local)) console.log(`this process, ${kind} (write + cache update): ${stats(xs)}`);
console.log(`this process, cache update alone: ${stats(cacheOnly)}`);
console.log(`longest event-loop stall, changes by this process: ${localGap.toFixed(1)} ms`);
console.log(`longest event-loop stall, changes by another connection (refresh tick): ${remoteGap.toFixed(1)} ms`);

cache.close();
other.sqlite.close();
h.sqlite.close();
rmSync(dir, { recursive: true, force: true });

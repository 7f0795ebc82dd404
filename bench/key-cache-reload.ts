/**
 * How long a key change stalls the event loop, with 100,000 keys in the key cache.
 *
 *   bun bench/key-cache-reload.ts [--keys 100000] [--rounds 20]
 *
 * Creates the keys in a temporary SQLite database, builds the key cache, then renames, revokes and creates
 * keys — in this process (the admin API's path: write, then apply the change to the cache at once) and from
 * another process (the CLI's path: the cache notices on its refresh tick). A 1 ms interval timer records
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

// The other process (like the CLI while the server runs): renames, revokes and creates keys, then exits.
const writerDir = process.argv.indexOf('--writer');
if (writerDir > 0) {
  const other = openDatabase(process.argv[writerDir + 1]!);
  const tokens = new Directory(other.sql).tokens;
  const live = other.sqlite.query<{ id: number; user_id: number }, []>('SELECT id, user_id FROM api_keys WHERE revoked_at IS NULL ORDER BY random() LIMIT 1000').all();
  for (let i = 0; i < ROUNDS; i++) {
    await tokens.updateKey(live[i]!.id, { name: `cli rename ${i}` });
    await tokens.revokeKey(live[ROUNDS + i]!.id);
    await tokens.createKey(live[i]!.user_id, `cli new ${i}`);
    await sleep(120); // at least two refresh ticks of the server
  }
  other.close();
  process.exit(0);
}

const dir = mkdtempSync(join(tmpdir(), 'aq-keycache-bench-'));
const h = openDatabase(dir);
migrate(h.sqlite);
const directory = new Directory(h.sql);
const org = await directory.createOrg('bench');

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
const cache: KeyCache = createKeyCache(h.sql, 50);
await cache.ready;
console.log(`key cache built in ${(performance.now() - t0).toFixed(0)} ms`);
// The admin API applies its own writes at once (`changed()`): an incremental refresh where the cache has one.
const applyNow = () => cache.refresh();

// The event-loop monitor: the longest gap between 1 ms ticks, minus the tick.
let last = performance.now();
let worstGap = 0;
const monitor = setInterval(() => {
  const now = performance.now();
  worstGap = Math.max(worstGap, now - last - 1);
  last = now;
}, 1);

const local: Record<string, number[]> = { rename: [], revoke: [], create: [] };
const cacheOnly: number[] = [];
const userIds = h.sqlite.query<{ id: number }, []>('SELECT id FROM users ORDER BY id').all().map((r) => r.id);
const timed = async (kind: string, fn: () => unknown) => {
  const s = performance.now();
  await fn();
  const written = performance.now();
  await applyNow();
  const done = performance.now();
  local[kind]!.push(done - s);
  cacheOnly.push(done - written);
};

await sleep(200);
// The baseline: the longest stall with no change at all (GC, a loaded machine), to read the others against.
worstGap = 0;
await sleep(2000);
const idleGap = worstGap;
worstGap = 0;
for (let i = 0; i < ROUNDS; i++) {
  const id = ids[(i * 7919) % ids.length]!;
  await timed('rename', () => directory.tokens.updateKey(id, { name: `renamed ${i}` }));
  await sleep(5);
  await timed('revoke', () => directory.tokens.revokeKey(ids[ids.length - 1 - i]!));
  await sleep(5);
  await timed('create', () => directory.tokens.createKey(userIds[i]!, `new ${i}`));
  await sleep(5);
}
const localGap = worstGap;
worstGap = 0;
// Also time the catch-up itself (what the refresh tick does), apart from the machine's other load.
let worstCatchUp = 0;
const catchUpTimer = setInterval(async () => {
  const s = performance.now();
  await applyNow();
  worstCatchUp = Math.max(worstCatchUp, performance.now() - s);
}, 20);
const writer = Bun.spawn([process.execPath, import.meta.path, '--writer', dir, '--rounds', String(ROUNDS)], { stdout: 'inherit', stderr: 'inherit' });
if ((await writer.exited) !== 0) throw new Error('the writer process failed');
await sleep(200);
clearInterval(catchUpTimer);
const remoteGap = worstGap;
clearInterval(monitor);

const stats = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return `median ${s[Math.floor(s.length / 2)]!.toFixed(2)} ms, max ${s[s.length - 1]!.toFixed(2)} ms`;
};
console.log(`\nkeys: ${KEYS}, rounds: ${ROUNDS}`);
for (const [kind, xs] of Object.entries(local)) console.log(`this process, ${kind} (write + cache update): ${stats(xs)}`);
console.log(`longest event-loop stall with no change (baseline, 2 s): ${idleGap.toFixed(1)} ms`);
console.log(`this process, cache update alone: ${stats(cacheOnly)}`);
console.log(`longest event-loop stall, changes by this process: ${localGap.toFixed(1)} ms`);
console.log(`longest event-loop stall, changes by another process (refresh tick): ${remoteGap.toFixed(1)} ms`);
console.log(`longest catch-up after another process's changes (timed directly): ${worstCatchUp.toFixed(2)} ms`);

await cache.close();
h.sqlite.close();
rmSync(dir, { recursive: true, force: true });

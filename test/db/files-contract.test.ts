/**
 * File metadata (src/domain/files/file-store.ts) through the Sql port, the same assertions on SQLite and
 * PostgreSQL: a file recorded reads back with numbers as numbers, owner scoping and expiry, the list's order,
 * purpose filter and cursor in both directions (also for files created within one millisecond), the quota
 * held by uploads recorded at once on two nodes, and the sweep of expired files run by two nodes at once.
 */
import { afterAll, describe, expect, setDefaultTimeout, test } from 'bun:test';
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Sql, SqlValue } from '../../src/db/sql';
import { FileStore, OverQuota, type StoredFile } from '../../src/domain/files/file-store';
import type { Owner } from '../../src/domain/files/owner';
import { DirectoryStore } from '../../src/store/directory-store';
import { DIALECTS, stopDialects } from './sql-dialects';

setDefaultTimeout(30_000);
afterAll(stopDialects);

const ADA: Owner = { kind: 'user', id: 1 };
const TEAM: Owner = { kind: 'team', id: 1 };
const T = 1_700_000_000_000;

/** Nodes sharing one database and one directory of bytes (as with a shared directory or a bucket). */
function nodes(...sqls: Sql[]): FileStore[] {
  const bytes = new DirectoryStore(mkdtempSync(join(tmpdir(), 'aq-bytes-')));
  return sqls.map((sql) => new FileStore(sql, mkdtempSync(join(tmpdir(), 'aq-node-')), bytes));
}

/** Records a file of `size` bytes as an upload would (a temporary file handed to the store). */
async function put(store: FileStore, owner: Owner, size: number, o: { createdAt?: number; expiresAt?: number | null; purpose?: string; quota?: number } = {}): Promise<StoredFile> {
  const temp = store.tempPath();
  writeFileSync(temp, new Uint8Array(size).fill(65));
  return store.add(owner, temp, {
    keyId: 9, filename: 'f.txt', purpose: o.purpose ?? 'user_data', bytes: size, createdAt: o.createdAt ?? T, expiresAt: o.expiresAt ?? null,
    lineCount: null, batchEndpoint: null, batchModel: null,
  }, o.quota);
}

/**
 * The Sql with a slow moment between reading an owner's sum and recording the file (a busy database): without
 * a lock per owner, every upload in that moment would see the same room and all would be recorded.
 */
function slowSums(sql: Sql): Sql {
  const slow = (tx: Sql): Sql => ({
    ...tx,
    get: async <T>(text: string, params?: readonly SqlValue[]) => {
      const row = await tx.get<T>(text, params);
      if (text.includes('sum(bytes)')) await Bun.sleep(40);
      return row;
    },
    transaction: (fn) => tx.transaction((inner) => fn(slow(inner))),
  });
  return { ...sql, transaction: (fn) => sql.transaction((tx) => fn(slow(tx))) };
}

const objects = (store: FileStore) => readdirSync(store.bytes.location).filter((n) => n.startsWith('file-'));

for (const d of DIALECTS) {
  describe(d.name, () => {
    test('a recorded file reads back whole, numbers as numbers; only its owner sees it, and not once expired', async () => {
      const [store] = nodes(await d.fresh());
      const f = await put(store!, ADA, 1234, { expiresAt: T + 1000 });
      const expected = { id: f.id, ownerUserId: 1, ownerTeamId: null, keyId: 9, filename: 'f.txt', purpose: 'user_data', bytes: 1234, createdAt: T, expiresAt: T + 1000, lineCount: null, batchEndpoint: null, batchModel: null };
      expect(await store!.get(ADA, f.id, T)).toEqual(expected);
      expect(await store!.byId(f.id)).toEqual(expected);
      expect(await store!.get(TEAM, f.id, T)).toBeUndefined();
      expect(await store!.get(ADA, f.id, T + 1000)).toBeUndefined();
      expect(await store!.usedBytes(ADA)).toBe(1234);
      expect(await store!.usedBytes(TEAM)).toBe(0);
      expect(await store!.delete(TEAM, f.id)).toBe(false);
      expect(await store!.delete(ADA, f.id)).toBe(true);
      expect(await store!.byId(f.id)).toBeUndefined();
      expect(objects(store!)).toEqual([]);
    });

    test('the list: newest first or oldest first, by purpose, and the cursor visits each file once (also within one millisecond)', async () => {
      const [store] = nodes(await d.fresh());
      const made: string[] = [];
      for (let i = 0; i < 10; i++) made.push((await put(store!, ADA, 1, { createdAt: T + Math.floor(i / 3), purpose: i % 4 === 0 ? 'vision' : 'user_data' })).id);
      await put(store!, TEAM, 1);
      const walk = async (order: 'asc' | 'desc', purpose?: string) => {
        const seen: StoredFile[] = [];
        let after: string | undefined;
        for (;;) {
          const page = (await store!.list(ADA, { limit: 3, order, after, purpose }, T))!;
          seen.push(...page.data);
          if (!page.hasMore) return seen;
          after = page.data.at(-1)!.id;
        }
      };
      const asc = await walk('asc');
      const desc = await walk('desc');
      expect(asc.map((f) => f.id).sort()).toEqual([...made].sort());
      expect(desc.map((f) => f.id)).toEqual(asc.map((f) => f.id).reverse());
      expect(asc.map((f) => f.createdAt)).toEqual([...asc.map((f) => f.createdAt)].sort((a, b) => a - b));
      expect((await walk('desc', 'vision')).map((f) => f.id).sort()).toEqual([made[0]!, made[4]!, made[8]!].sort());
      expect(await store!.list(ADA, { limit: 3, order: 'desc', after: 'file-nope' }, T)).toBeUndefined();
    });

    test('uploads recorded at once on two nodes stay within the quota; the refused ones leave no bytes', async () => {
      const [sa, sb] = await d.freshPair();
      // SQLite's write transaction holds the file for the whole step, so the slow moment would only stall: two
      // connections in one process cannot wait for each other (a blocked BEGIN blocks the event loop).
      const [a, b] = d.name === 'postgres' ? nodes(slowSums(sa), slowSums(sb)) : nodes(sa, sb);
      await put(a!, ADA, 500, { quota: 3000 });
      const results = await Promise.allSettled(Array.from({ length: 8 }, (_, i) => put(i % 2 === 0 ? a! : b!, ADA, 1000, { quota: 3000 })));
      const stored = results.filter((r) => r.status === 'fulfilled');
      const refused = results.flatMap((r) => (r.status === 'rejected' ? [r.reason] : []));
      expect(stored).toHaveLength(2);
      expect(refused).toHaveLength(6);
      for (const e of refused) expect(e).toBeInstanceOf(OverQuota);
      expect(refused.map((e: OverQuota) => e.used).sort()).toEqual(Array(6).fill(2500));
      expect(await b!.usedBytes(ADA)).toBe(2500);
      expect(objects(a!)).toHaveLength(3);
      // Another owner's room is its own; without a quota (batch output files) nothing is refused.
      expect((await put(b!, TEAM, 3000, { quota: 3000 })).bytes).toBe(3000);
      expect((await put(a!, ADA, 1000)).bytes).toBe(1000);
    });

    test('two nodes sweeping expired files at once delete each once, rows and bytes; live files stay', async () => {
      const [sa, sb] = await d.freshPair();
      const [a, b] = nodes(sa, sb);
      const expired = await Promise.all(Array.from({ length: 6 }, () => put(a!, ADA, 10, { expiresAt: T + 10 })));
      const live = await put(b!, ADA, 10, { expiresAt: T + 10_000 });
      const kept = await put(b!, TEAM, 10);
      const swept = await Promise.all([a!.sweepExpired(T + 10), b!.sweepExpired(T + 10)]);
      expect(swept[0]! + swept[1]!).toBe(6);
      for (const f of expired) {
        expect(await a!.byId(f.id)).toBeUndefined();
        expect(existsSync(join(a!.bytes.location, f.id))).toBe(false);
      }
      expect(objects(a!).sort()).toEqual([live.id, kept.id].sort());
    });
  });
}

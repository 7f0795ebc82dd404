/**
 * The batch store (src/domain/batches/batch-store.ts) through the Sql port, the same assertions on SQLite and
 * PostgreSQL: importing lines (twice: two nodes), leases (claim, renew, expiry, re-claim, release), two nodes
 * claiming at once on their own connections, a finish from a node that lost its lease ignored, usage counted
 * once, cancel/expiry failing the lines no node runs, a batch ended once, and the owner's list and its cursor.
 */
import { afterAll, describe, expect, setDefaultTimeout, test } from 'bun:test';
import type { Sql } from '../../src/db/sql';
import { BatchStore, type LineOutcome } from '../../src/domain/batches/batch-store';
import type { Owner } from '../../src/domain/files/owner';
import { DIALECTS, stopDialects } from './sql-dialects';

setDefaultTimeout(30_000);
afterAll(stopDialects);

const OWNER: Owner = { kind: 'user', id: 7 };
const WHO = { keyId: 3, userId: 7, orgId: 1 };
const T = 1_700_000_000_000;
const LEASE = 30_000;

/** A JSONL input file of `n` lines as a stream. */
function input(n: number): ReadableStream<Uint8Array> {
  const text = Array.from({ length: n }, (_, i) => JSON.stringify({ custom_id: `c${i}`, method: 'POST', url: '/v1/chat/completions', body: { model: 'm', n: i } })).join('\n');
  return new Blob([text]).stream();
}

/** A batch with `n` imported lines, in progress. */
async function batchOf(store: BatchStore, n: number, now = T) {
  const b = await store.create(OWNER, WHO, { id: 'file-in', endpoint: '/v1/chat/completions', model: 'm' }, { run: 'one' }, 86_400_000, now);
  await store.importLines(b.id, input(n));
  return b;
}

const done = (requestId: string, tokens = 10): LineOutcome => ({
  state: 'done',
  statusCode: 200,
  requestId,
  result: '{"ok":true}',
  inputTokens: tokens,
  outputTokens: 1,
  usage: {
    createdAt: T, requestId, keyId: WHO.keyId, userId: WHO.userId, orgId: WHO.orgId, teamId: null, model: 'm', deployment: 'd', endpoint: 'chat',
    status: 200, latencyMs: 5, ttftMs: null, inputTokens: tokens, outputTokens: 1, endUserId: '', stream: false, errorCode: null,
  },
});

const usageRows = async (sql: Sql, batchId: string) =>
  (await sql.get<{ n: number; tokens: number }>(`SELECT ${sql.num('count(*)')} AS n, ${sql.num('coalesce(sum(input_tokens), 0)')} AS tokens FROM usage WHERE batch_id = ?`, [batchId]))!;
const hourRequests = async (sql: Sql) => (await sql.get<{ n: number }>(`SELECT ${sql.num('coalesce(sum(requests), 0)')} AS n FROM usage_hour`))!.n;

for (const d of DIALECTS) {
  describe(d.name, () => {
    test('a created batch reads back with numbers as numbers; importing it twice (two nodes) puts each line in once', async () => {
      const store = new BatchStore(await d.fresh());
      const b = await store.create(OWNER, WHO, { id: 'file-in', endpoint: '/v1/chat/completions', model: 'm' }, { run: 'one' }, 86_400_000, T);
      expect(b).toMatchObject({ status: 'validating', ownerUserId: 7, ownerTeamId: null, keyId: 3, total: 0, createdAt: T, expiresAt: T + 86_400_000, inProgressAt: null, inputTokens: 0 });
      expect(JSON.parse(b.metadata!)).toEqual({ run: 'one' });
      await Promise.all([store.importLines(b.id, input(1500)), store.importLines(b.id, input(1500))]);
      const now = (await store.byId(b.id))!;
      expect(now).toMatchObject({ status: 'in_progress', total: 1500 });
      expect(typeof now.inProgressAt).toBe('number');
      expect(await store.counts(b.id)).toEqual({ pending: 1500, running: 0 });
    });

    test('claim leases pending lines in input order to the node; another node gets the next ones; renew and release', async () => {
      const store = new BatchStore(await d.fresh());
      const b = await batchOf(store, 10);
      const a = await store.claim(b.id, 4, 'node-a', T, T + LEASE);
      expect(a.map((l) => l.customId)).toEqual(['c0', 'c1', 'c2', 'c3']);
      expect(JSON.parse(a[0]!.body)).toEqual({ model: 'm', n: 0 });
      const other = await store.claim(b.id, 4, 'node-b', T, T + LEASE);
      expect(other.map((l) => l.lineNo)).toEqual([5, 6, 7, 8]);
      expect(await store.counts(b.id)).toEqual({ pending: 2, running: 8 });
      // Renewing: only the node's own lines count.
      expect(await store.renew(b.id, [1, 2, 5], 'node-a', T + 2 * LEASE)).toBe(2);
      // Released lines are pending again, for any node at once.
      expect(await store.release(b.id, [1, 2, 3, 4, 5], 'node-a')).toBe(4);
      expect((await store.claim(b.id, 10, 'node-b', T + 1, T + LEASE)).map((l) => l.lineNo)).toEqual([1, 2, 3, 4, 9, 10]);
      expect(await store.claim(b.id, 10, 'node-a', T + 2, T + LEASE)).toEqual([]);
    });

    test('a lease that ran out lets another node claim the line; the first node\'s late answer is ignored, usage counted once', async () => {
      const sql = await d.fresh();
      const store = new BatchStore(sql);
      const b = await batchOf(store, 3);
      expect((await store.claim(b.id, 3, 'node-a', T, T + LEASE)).map((l) => l.lineNo)).toEqual([1, 2, 3]);
      // node-a keeps line 1 alive; lines 2 and 3 are not renewed.
      expect(await store.renew(b.id, [1], 'node-a', T + 2 * LEASE)).toBe(1);
      expect(await store.claim(b.id, 3, 'node-b', T + LEASE - 1, T + 2 * LEASE)).toEqual([]);
      expect((await store.claim(b.id, 3, 'node-b', T + LEASE + 1, T + 3 * LEASE)).map((l) => l.lineNo)).toEqual([2, 3]);
      expect(await store.renew(b.id, [2, 3], 'node-a', T + 4 * LEASE)).toBe(0);
      // node-a answers all three late: only line 1 is still its own.
      expect(await store.finish('node-a', [1, 2, 3].map((lineNo) => ({ batchId: b.id, lineNo, outcome: done(`req-a${lineNo}`) })))).toEqual([true, false, false]);
      expect(await store.finish('node-b', [2, 3].map((lineNo) => ({ batchId: b.id, lineNo, outcome: done(`req-b${lineNo}`) })))).toEqual([true, true]);
      // A second answer for a finished line (a retry, a duplicate) changes nothing.
      expect(await store.finish('node-b', [{ batchId: b.id, lineNo: 2, outcome: done('req-again') }])).toEqual([false]);
      expect(await store.byId(b.id)).toMatchObject({ completed: 3, failed: 0, inputTokens: 30, outputTokens: 3 });
      expect((await store.finishedLines(b.id, 'done')).map((l) => [l.customId, l.requestId])).toEqual([['c0', 'req-a1'], ['c1', 'req-b2'], ['c2', 'req-b3']]);
      expect(await usageRows(sql, b.id)).toEqual({ n: 3, tokens: 30 });
      expect(await hourRequests(sql)).toBe(3);
    });

    test('a failing usage write rolls the line back: still running, nothing counted', async () => {
      const sql = await d.fresh();
      const store = new BatchStore(sql);
      const b = await batchOf(store, 2);
      await store.claim(b.id, 2, 'node-a', T, T + LEASE);
      const broken = { ...done('req-1'), usage: { ...done('req-1').usage!, model: null as unknown as string } }; // usage.model is NOT NULL
      const err = await store.finish('node-a', [{ batchId: b.id, lineNo: 2, outcome: done('req-2') }, { batchId: b.id, lineNo: 1, outcome: broken }]).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(Error);
      expect(await store.counts(b.id)).toEqual({ pending: 0, running: 2 });
      expect(await store.byId(b.id)).toMatchObject({ completed: 0, inputTokens: 0 });
      expect(await usageRows(sql, b.id)).toEqual({ n: 0, tokens: 0 });
    });

    test('lines left running by a version before leases (no lease) are claimable at once', async () => {
      const sql = await d.fresh();
      const store = new BatchStore(sql);
      const b = await batchOf(store, 3);
      await sql.run("UPDATE batch_lines SET state = 'running' WHERE batch_id = ? AND line_no < 3", [b.id]);
      expect((await store.claim(b.id, 5, 'node-a', T, T + LEASE)).map((l) => l.lineNo)).toEqual([1, 2, 3]);
      expect(await store.claim(b.id, 5, 'node-b', T, T + LEASE)).toEqual([]);
    });

    test('two nodes on their own connections claiming at once never get the same line', async () => {
      const [sa, sb] = await d.freshPair();
      const a = new BatchStore(sa);
      const bStore = new BatchStore(sb);
      const b = await batchOf(a, 300);
      const got = new Map<string, number[]>([['node-a', []], ['node-b', []]]);
      const drain = async (store: BatchStore, node: string) => {
        for (;;) {
          const lines = await store.claim(b.id, 7, node, T, T + LEASE);
          if (lines.length === 0) return;
          got.get(node)!.push(...lines.map((l) => l.lineNo));
        }
      };
      await Promise.all([drain(a, 'node-a'), drain(bStore, 'node-b'), drain(a, 'node-a'), drain(bStore, 'node-b')]);
      const all = [...got.get('node-a')!, ...got.get('node-b')!];
      expect(all).toHaveLength(300);
      expect(new Set(all).size).toBe(300);
      expect(await a.counts(b.id)).toEqual({ pending: 0, running: 300 });
    });

    test('cancel and expiry fail the lines no node runs (pending, leases run out) and leave live ones to their node', async () => {
      const store = new BatchStore(await d.fresh());
      const b = await batchOf(store, 5);
      await store.claim(b.id, 1, 'node-a', T, T + LEASE); // line 1: live until T + LEASE
      await store.claim(b.id, 1, 'node-dead', T, T + 10); // line 2: its node is gone
      const n = await store.failUnrun(b.id, { code: 'batch_cancelled', message: 'cancelled' }, T + 100);
      expect(n).toBe(4);
      expect(await store.counts(b.id)).toEqual({ pending: 0, running: 1 });
      expect(await store.byId(b.id)).toMatchObject({ failed: 4 });
      const failed = await store.finishedLines(b.id, 'failed');
      expect(failed.map((l) => l.customId)).toEqual(['c1', 'c2', 'c3', 'c4']);
      expect(JSON.parse(failed[0]!.result!)).toEqual({ code: 'batch_cancelled', message: 'cancelled' });
      expect(await store.finish('node-dead', [{ batchId: b.id, lineNo: 2, outcome: done('late') }])).toEqual([false]);
      expect(await store.finish('node-a', [{ batchId: b.id, lineNo: 1, outcome: done('req-1') }])).toEqual([true]);
      expect(await store.counts(b.id)).toEqual({ pending: 0, running: 0 });
    });

    test('a batch moves to finalizing and ends once, however many nodes try at the same moment', async () => {
      const [sa, sb] = await d.freshPair();
      const a = new BatchStore(sa);
      const bStore = new BatchStore(sb);
      const b = await batchOf(a, 1);
      const moved = await Promise.all([a, bStore, a, bStore].map((s) => s.transition(b.id, ['in_progress'], 'finalizing', 'finalizing_at', T + 5)));
      expect(moved.filter(Boolean)).toHaveLength(1);
      const ended = await Promise.all([a, bStore, a, bStore].map((s, i) => s.end(b.id, 'finalizing', 'completed', { output: `file-out${i}`, error: null }, undefined, T + 9)));
      expect(ended.filter(Boolean)).toHaveLength(1);
      const row = (await bStore.byId(b.id))!;
      expect(row).toMatchObject({ status: 'completed', completedAt: T + 9, finalizingAt: T + 5, errorFileId: null });
      expect(row.outputFileId).toBe(`file-out${ended.indexOf(true)}`);
      // A cancel arriving after the end changes nothing.
      expect(await a.transition(b.id, ['validating', 'in_progress', 'finalizing'], 'cancelling', 'cancelling_at')).toBe(false);
    });

    test('a cancelled batch is ended by the one node whose claim holds; a claim whose node stopped lapses; the end clears it', async () => {
      const [sa, sb] = await d.freshPair();
      const a = new BatchStore(sa);
      const bStore = new BatchStore(sb);
      const b = await batchOf(a, 1);
      expect(await a.transition(b.id, ['in_progress'], 'cancelling', 'cancelling_at', T + 1)).toBe(true);
      const claims = await Promise.all([a, bStore, a, bStore].map((s) => s.claimEnding(b.id, 'cancelling', T + 5, T + 5 - LEASE)));
      expect(claims.filter(Boolean)).toHaveLength(1);
      // Still held a moment later; after a whole lease without an end, another node may claim it.
      expect(await bStore.claimEnding(b.id, 'cancelling', T + 1_000, T + 1_000 - LEASE)).toBe(false);
      expect(await bStore.claimEnding(b.id, 'cancelling', T + 5 + LEASE + 1, T + 6)).toBe(true);
      expect(await bStore.end(b.id, 'cancelling', 'cancelled', { output: null, error: 'file-err' }, undefined, T + LEASE + 10)).toBe(true);
      expect(await a.byId(b.id)).toMatchObject({ status: 'cancelled', cancelledAt: T + LEASE + 10, finalizingAt: null, errorFileId: 'file-err' });
      expect(await a.claimEnding(b.id, 'cancelling', T + 2 * LEASE, T + LEASE)).toBe(false);
    });

    test('a finalizer that stopped is taken over once, after it has not ended the batch', async () => {
      const store = new BatchStore(await d.fresh());
      const b = await batchOf(store, 1);
      expect(await store.transition(b.id, ['in_progress'], 'finalizing', 'finalizing_at', T + 5)).toBe(true);
      const takers = await Promise.all([1, 2, 3].map(() => store.takeOverFinalizing(b.id, T + 5, T + 50_000)));
      expect(takers.filter(Boolean)).toHaveLength(1);
      expect(await store.byId(b.id)).toMatchObject({ status: 'finalizing', finalizingAt: T + 50_000 });
    });

    test('a failed batch carries its reason; fail leaves an ended batch alone', async () => {
      const store = new BatchStore(await d.fresh());
      const b = await batchOf(store, 1);
      expect(await store.end(b.id, 'in_progress', 'failed', { output: null, error: 'file-err' }, { code: 'key_revoked', message: 'revoked' }, T + 1)).toBe(true);
      const row = (await store.byId(b.id))!;
      expect(row).toMatchObject({ status: 'failed', failedAt: T + 1, errorFileId: 'file-err' });
      expect(JSON.parse(row.errors!)).toEqual([{ code: 'key_revoked', message: 'revoked', param: null, line: null }]);
      expect(await store.fail(b.id, { code: 'input_file_missing', message: 'gone' })).toBe(false);
      expect(JSON.parse((await store.byId(b.id))!.errors!)[0].code).toBe('key_revoked');
    });

    test("the owner's list: newest first, the cursor visits each once (also within one millisecond), others' batches unseen; active counts", async () => {
      const store = new BatchStore(await d.fresh());
      const ids: string[] = [];
      // Three per millisecond: the order within one comes from the id.
      for (let i = 0; i < 9; i++) ids.push((await store.create(OWNER, WHO, { id: 'file-in', endpoint: '/v1/chat/completions', model: 'm' }, null, 1000, T + Math.floor(i / 3))).id);
      await store.create({ kind: 'team', id: 7 }, WHO, { id: 'file-in', endpoint: '/v1/chat/completions', model: 'm' }, null, 1000, T);
      const seen: string[] = [];
      let after: string | undefined;
      for (;;) {
        const page = (await store.list(OWNER, 2, after))!;
        seen.push(...page.data.map((b) => b.id));
        if (!page.hasMore) break;
        after = page.data.at(-1)!.id;
      }
      expect(seen).toHaveLength(9);
      expect(new Set(seen)).toEqual(new Set(ids));
      const created = (await Promise.all(seen.map((id) => store.byId(id)))).map((b) => b!.createdAt);
      expect(created).toEqual([...created].sort((x, y) => y - x));
      expect(await store.list(OWNER, 2, 'batch_nope')).toBeUndefined();
      expect(await store.get({ kind: 'team', id: 7 }, ids[0]!)).toBeUndefined();
      expect(await store.activeCount(OWNER)).toBe(9);
      expect(await store.activeCount({ kind: 'team', id: 7 })).toBe(1);
      expect((await store.active()).length).toBe(10);
    });
  });
}

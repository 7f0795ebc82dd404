/**
 * The response store (src/domain/responses/response-store.ts) on both dialects, the same assertions on
 * SQLite and PostgreSQL: batches written by src/db/response-rows.ts (the write the usage writer thread runs;
 * here inline), read back by find, item, conversation; remove and prune. JSON objects read back identical,
 * times as numbers, owner scoping, expiry, items with rows of their own, a batch written twice changes nothing.
 */
import { afterAll, describe, expect, setDefaultTimeout, test } from 'bun:test';
import { type ResponseRow, writeResponseRows } from '../../src/db/response-rows';
import { ResponseStore } from '../../src/domain/responses/response-store';
import { ItemIds, newResponseId } from '../../src/response-ids';
import { DIALECTS, stopDialects } from './sql-dialects';

setDefaultTimeout(30_000);
afterAll(stopDialects);

const alice = { kind: 'user' as const, id: 1 };
const team = { kind: 'team' as const, id: 1 };
const T0 = 1_700_000_000_123;
const RETENTION = 60_000;
const translated = (id: string, previousResponseId: string | null = null) => ({
  id,
  owner: alice,
  keyId: 1,
  mode: 'translated' as const,
  model: 'm',
  deployment: 'm#0',
  response: { id, status: 'completed', usage: { input_tokens: 3, output_tokens: 0.5 }, flags: [true, false, null], output: [{ id: `msg_${id}`, type: 'message', role: 'assistant', content: [{ type: 'output_text', text: `out ${id} ✓` }] }] },
  inputItems: [{ id: `in_${id}`, type: 'message', role: 'user', content: [{ type: 'input_text', text: `in ${id}` }] }],
  previousResponseId,
});

async function setup(d: (typeof DIALECTS)[number]) {
  const sql = await d.fresh();
  const clock = { now: T0 };
  // No writer given: the store writes its batches inline, through the same Sql.
  const store = new ResponseStore({ sql }, RETENTION, () => clock.now, 10_000);
  /** Another node: nothing in memory, everything read from the database (a miss answered at once). */
  const other = () => Object.assign(new ResponseStore({ sql }, RETENTION, () => clock.now, 10_000), { missRetryMs: 0 });
  store.missRetryMs = 0;
  return { sql, clock, store, other };
}

for (const d of DIALECTS) {
  describe(d.name, () => {
    test('a written response reads back identical (JSON, times, chain link), only by its owner', async () => {
      const { store, other } = await setup(d);
      const r = translated('resp_a', 'resp_0');
      store.save(r);
      store.save({ id: 'resp_n', owner: team, keyId: 2, mode: 'native', model: 'm', deployment: 'm#1' });
      await store.drain();
      const fresh = other();
      expect(await fresh.find('resp_a', alice)).toEqual({
        id: 'resp_a',
        mode: 'translated',
        model: 'm',
        deployment: 'm#0',
        response: r.response,
        inputItems: r.inputItems,
        previousResponseId: 'resp_0',
        createdAt: T0,
        expiresAt: T0 + RETENTION,
      });
      expect(await fresh.find('resp_a', team)).toBeUndefined();
      expect(await fresh.find('resp_n', team)).toEqual({ id: 'resp_n', mode: 'native', model: 'm', deployment: 'm#1', response: null, inputItems: null, previousResponseId: null, createdAt: T0, expiresAt: T0 + RETENTION });
      expect(await fresh.find('resp_n', { kind: 'user', id: 1 })).toBeUndefined();
      expect(await fresh.find('missing', alice)).toBeUndefined();
    });

    test('items: through their response, or their own row for ids the caller chose; owner-scoped', async () => {
      const { store, other } = await setup(d);
      const ids = new ItemIds();
      const id = ids.responseId;
      const own = { id: ids.next('msg_'), type: 'message', role: 'user', content: 'numbered by the gateway' };
      const chosen = { id: 'msg_chosen_by_the_caller', type: 'message', role: 'user', content: 'the caller set this id', extra: { n: 1, ok: true } };
      const out = { id: ids.next('msg_'), type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'hi' }] };
      store.save({ ...translated(id), response: { id, output: [out] }, inputItems: [own, chosen] });
      await store.drain();
      const fresh = other();
      for (const item of [own, chosen, out]) expect(await fresh.item(item.id, alice)).toEqual(item);
      for (const item of [own, chosen, out]) expect(await fresh.item(item.id, team)).toBeUndefined();
      expect(await fresh.item(new ItemIds().next('msg_'), alice)).toBeUndefined();
    });

    test('a chain is its items in order across written and pending responses; a missing or foreign link is not_found', async () => {
      const { store, other } = await setup(d);
      store.save(translated('a'));
      store.save(translated('b', 'a'));
      await store.drain();
      store.save(translated('c', 'b'));
      expect((await store.conversation('c', alice)).map((i) => i.id)).toEqual(['in_a', 'msg_a', 'in_b', 'msg_b', 'in_c', 'msg_c']);
      expect((await other().conversation('b', alice)).map((i) => i.id)).toEqual(['in_a', 'msg_a', 'in_b', 'msg_b']);
      await expect(store.conversation('c', team)).rejects.toThrow(/not found/);
      store.save(translated('d', 'gone'));
      await expect(store.conversation('d', alice)).rejects.toThrow(/'gone' not found/);
    });

    test('a batch written again (a retry after a commit whose answer was lost) fails nothing and stores each row once; a stored id is never taken over', async () => {
      const { sql, other } = await setup(d);
      // What an array literal or a statement could trip on: quotes, backslashes, braces, commas, NULL as text, non-ASCII.
      const tricky = { text: 'quotes " \' and \\ backslash, {braces}, commas, NULL, ✓ 😀', nested: [{ a: null, b: '\n' }] };
      const rows: ResponseRow[] = Array.from({ length: 300 }, (_, i) => ({
        id: `resp_${i}`,
        ownerUserId: 1,
        ownerTeamId: null,
        keyId: 1,
        mode: 'translated',
        model: 'm',
        deployment: 'm#0',
        response: JSON.stringify({ id: `resp_${i}`, output: [], tricky }),
        inputItems: JSON.stringify([{ id: `chosen_${i}`, type: 'message', role: 'user', content: tricky.text }]),
        previousResponseId: i === 0 ? null : `resp_${i - 1}`,
        createdAt: T0 + i,
        expiresAt: T0 + i + RETENTION,
        items: [[`chosen_${i}`, JSON.stringify({ id: `chosen_${i}`, type: 'message', role: 'user', content: tricky.text })]],
      }));
      await writeResponseRows(sql, rows);
      await writeResponseRows(sql, rows.slice(100));
      const count = async (table: string) => (await sql.values(`SELECT ${sql.num('count(*)')} FROM ${table}`))[0]![0];
      expect(await count('responses')).toBe(300);
      expect(await count('response_items')).toBe(300);
      // Another owner's row with a stored id (and a stored item id) leaves the stored ones as they are.
      await writeResponseRows(sql, [{ ...rows[7]!, ownerUserId: 2, response: JSON.stringify({ id: 'resp_7', output: [] }), items: [['chosen_7', '{"id":"chosen_7"}']] }]);
      const fresh = other();
      const found = await fresh.find('resp_7', alice);
      expect(found?.response).toEqual({ id: 'resp_7', output: [], tricky });
      expect(found?.createdAt).toBe(T0 + 7);
      expect(await fresh.find('resp_7', { kind: 'user', id: 2 })).toBeUndefined();
      expect(await fresh.item('chosen_7', alice)).toEqual({ id: 'chosen_7', type: 'message', role: 'user', content: tricky.text });
      expect((await fresh.conversation('resp_3', alice)).map((i) => i.id)).toEqual(['chosen_0', 'chosen_1', 'chosen_2', 'chosen_3']);
    });

    test('remove deletes the owner\'s response and its item rows; expiry hides them; prune deletes them', async () => {
      const { sql, clock, store, other } = await setup(d);
      store.save({ ...translated('x'), inputItems: [{ id: 'chosen_x', type: 'message', role: 'user', content: 'x' }] });
      store.save(translated('y'));
      await store.drain();
      const fresh = other();
      expect(await fresh.remove('x', team)).toBe(false);
      expect(await fresh.remove('x', alice)).toBe(true);
      expect(await fresh.find('x', alice)).toBeUndefined();
      expect(await fresh.item('chosen_x', alice)).toBeUndefined();
      expect(await sql.values("SELECT item_id FROM response_items WHERE response_id = 'x'")).toEqual([]);
      expect(await sql.values('SELECT item_id FROM response_items ORDER BY item_id')).toEqual([['in_y'], ['msg_y']]);
      clock.now += RETENTION - 1;
      expect(await fresh.find('y', alice)).toBeDefined();
      expect(await fresh.prune()).toBe(0);
      clock.now += 1;
      expect(await fresh.find('y', alice)).toBeUndefined();
      expect(await fresh.item('msg_y', alice)).toBeUndefined();
      expect(await fresh.prune()).toBe(1);
      expect(await sql.values('SELECT id FROM responses')).toEqual([]);
      expect(await sql.values('SELECT item_id FROM response_items')).toEqual([]);
    });
  });
}

describe('postgres: another node a moment after the answer', () => {
  const pg = DIALECTS.find((d) => d.name === 'postgres')!;

  test('a response saved on node A is found through node B at once (B looks again after the write window); an old id is a 404 at once', async () => {
    const [a, b] = await pg.freshPair();
    const nodeA = new ResponseStore({ sql: a }, RETENTION, Date.now, 50);
    const nodeB = new ResponseStore({ sql: b }, RETENTION, Date.now, 50);
    const id = newResponseId();
    nodeA.save({ ...translated(id), id });
    // Not written yet: A's next flush is up to 50 ms away. B's first look misses; its second finds it.
    const found = await nodeB.find(id, alice);
    expect(found?.id).toBe(id);
    expect(await nodeB.conversation(id, alice)).toHaveLength(2);

    const old = newResponseId(Date.now() - 60_000);
    const started = performance.now();
    expect(await nodeB.find(old, alice)).toBeUndefined();
    expect(performance.now() - started).toBeLessThan(nodeB.missRetryMs);
    await nodeA.close();
  });
});


/**
 * The reads of the response store (src/domain/responses/response-store.ts: find, item, conversation,
 * remove, prune) through the Sql port, the same assertions on SQLite and PostgreSQL. The writes stay on
 * SQLite's writer thread in the server; here the batch is written through the same port (the rows
 * writeResponses makes), so that the reads are checked against rows at rest in both dialects: JSON objects
 * read back identical, times as numbers, owner scoping, expiry, items with rows of their own.
 */
import { afterAll, describe, expect, setDefaultTimeout, test } from 'bun:test';
import type { Sql } from '../../src/db/sql';
import { type ResponseRow, ResponseStore } from '../../src/domain/responses/response-store';
import { ItemIds } from '../../src/response-ids';
import { DIALECTS, stopDialects } from './sql-dialects';

setDefaultTimeout(30_000);
afterAll(stopDialects);

/** What writeResponses writes, through the port. */
const writer = (sql: Sql) => async (rows: ResponseRow[]) => {
  await sql.transaction(async (tx) => {
    for (const w of rows) {
      await tx.run(
        `INSERT INTO responses (id, owner_user_id, owner_team_id, key_id, mode, model, deployment, response, input_items, previous_response_id, created_at, expires_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        [w.id, w.ownerUserId, w.ownerTeamId, w.keyId, w.mode, w.model, w.deployment, w.response, w.inputItems, w.previousResponseId, w.createdAt, w.expiresAt],
      );
      for (const [itemId, item] of w.items) await tx.run('INSERT INTO response_items (item_id, response_id, item) VALUES (?, ?, ?) ON CONFLICT DO NOTHING', [itemId, w.id, item]);
    }
  });
};

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
  const store = new ResponseStore({ sql }, RETENTION, () => clock.now, 10_000, writer(sql));
  /** Another node: nothing in memory, everything read from the database. */
  const other = () => new ResponseStore({ sql }, RETENTION, () => clock.now, 10_000, writer(sql));
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

/** The store of responses: owner-scoped, readable as soon as saved, written behind, gone after retention. */
import { expect, test } from 'bun:test';
import { openMemoryDatabase } from '../../src/db/connection';
import { migrate } from '../../src/db/migrate';
import { ResponseStore } from '../../src/domain/responses/response-store';

const setup = () => {
  const db = openMemoryDatabase();
  migrate(db.sqlite);
  let now = 1_000_000;
  const store = new ResponseStore(db.sqlite, 60_000, () => now, 10_000);
  return { db, store, tick: (ms: number) => (now += ms) };
};
const alice = { kind: 'user' as const, id: 1 };
const team = { kind: 'team' as const, id: 1 };
const translated = (id: string, previousResponseId: string | null = null) => ({
  id,
  owner: alice,
  keyId: 1,
  mode: 'translated' as const,
  model: 'm',
  deployment: 'm#0',
  response: { id, output: [{ id: `msg_${id}`, type: 'message', role: 'assistant', content: [{ type: 'output_text', text: `out ${id}` }] }] },
  inputItems: [{ id: `in_${id}`, type: 'message', role: 'user', content: [{ type: 'input_text', text: `in ${id}` }] }],
  previousResponseId,
});
const rows = (db: ReturnType<typeof setup>['db']) => db.sqlite.query('SELECT count(*) AS n FROM responses').get() as { n: number };

test('readable at once, written on flush, and only by its owner', () => {
  const { db, store } = setup();
  store.save(translated('resp_1'));
  expect(rows(db).n).toBe(0); // not written yet…
  expect(store.find('resp_1', alice)?.response).toMatchObject({ id: 'resp_1' }); // …but there
  expect(store.find('resp_1', team)).toBeUndefined();
  expect(store.item('msg_resp_1', alice)).toMatchObject({ role: 'assistant' });
  expect(store.item('msg_resp_1', team)).toBeUndefined();
  store.flush();
  expect(rows(db).n).toBe(1);
  const fresh = new ResponseStore(db.sqlite, 60_000, () => 1_000_000); // another process on the same database
  expect(fresh.find('resp_1', alice)?.inputItems).toEqual(translated('resp_1').inputItems);
  expect(fresh.item('in_resp_1', alice)).toMatchObject({ role: 'user' });
  expect(fresh.find('resp_1', team)).toBeUndefined();
});

test('a chain is its items in order; a missing or foreign link is not_found', () => {
  const { store } = setup();
  store.save(translated('a'));
  store.save(translated('b', 'a'));
  store.flush();
  store.save(translated('c', 'b'));
  expect(store.conversation('c', alice).map((i) => i.id)).toEqual(['in_a', 'msg_a', 'in_b', 'msg_b', 'in_c', 'msg_c']);
  expect(() => store.conversation('c', team)).toThrow(/not found/);
  store.save(translated('d', 'gone'));
  expect(() => store.conversation('d', alice)).toThrow(/'gone' not found/);
});

test('remove forgets pending and written responses and their items; expiry ends them; prune deletes them', () => {
  const { db, store, tick } = setup();
  store.save(translated('x'));
  expect(store.remove('x', team)).toBe(false);
  expect(store.remove('x', alice)).toBe(true);
  expect(store.find('x', alice)).toBeUndefined();
  expect(store.item('msg_x', alice)).toBeUndefined();
  store.save(translated('y'));
  store.flush();
  tick(60_001);
  expect(store.find('y', alice)).toBeUndefined();
  expect(store.item('msg_y', alice)).toBeUndefined();
  expect(store.prune()).toBe(1);
  expect((db.sqlite.query('SELECT count(*) AS n FROM response_items').get() as { n: number }).n).toBe(0);
});

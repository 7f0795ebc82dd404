/** The store of responses: owner-scoped, readable as soon as saved, written behind, gone after retention. */
import { expect, test } from 'bun:test';
import { openMemoryDatabase } from '../../src/db/connection';
import { migrate } from '../../src/db/migrate';
import { writeResponseRows } from '../../src/db/response-rows';
import { type ResponseRow, ResponseStore } from '../../src/domain/responses/response-store';
import { ItemIds, newResponseId, responseOfItem } from '../../src/response-ids';

const setup = () => {
  const db = openMemoryDatabase();
  migrate(db.sqlite);
  let now = 1_000_000;
  const store = new ResponseStore(db, 60_000, () => now, 10_000);
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

test('readable at once, written on flush, and only by its owner', async () => {
  const { db, store } = setup();
  store.save(translated('resp_1'));
  await Bun.sleep(0);
  expect(rows(db).n).toBe(0); // not written yet…
  expect((await store.find('resp_1', alice))?.response).toMatchObject({ id: 'resp_1' }); // …but there
  expect(await store.find('resp_1', team)).toBeUndefined();
  expect(await store.item('msg_resp_1', alice)).toMatchObject({ role: 'assistant' });
  expect(await store.item('msg_resp_1', team)).toBeUndefined();
  await store.drain();
  expect(rows(db).n).toBe(1);
  const fresh = new ResponseStore(db, 60_000, () => 1_000_000); // another process on the same database
  expect((await fresh.find('resp_1', alice))?.inputItems).toEqual(translated('resp_1').inputItems);
  expect(await fresh.item('in_resp_1', alice)).toMatchObject({ role: 'user' });
  expect(await fresh.find('resp_1', team)).toBeUndefined();
});

test('a chain is its items in order; a missing or foreign link is not_found', async () => {
  const { store } = setup();
  store.save(translated('a'));
  store.save(translated('b', 'a'));
  await store.drain();
  store.save(translated('c', 'b'));
  expect((await store.conversation('c', alice)).map((i) => i.id)).toEqual(['in_a', 'msg_a', 'in_b', 'msg_b', 'in_c', 'msg_c']);
  await expect(store.conversation('c', team)).rejects.toThrow(/not found/);
  store.save(translated('d', 'gone'));
  await expect(store.conversation('d', alice)).rejects.toThrow(/'gone' not found/);
});

test('remove forgets pending and written responses and their items; expiry ends them; prune deletes them', async () => {
  const { db, store, tick } = setup();
  store.save(translated('x'));
  expect(await store.remove('x', team)).toBe(false);
  expect(await store.remove('x', alice)).toBe(true);
  expect(await store.find('x', alice)).toBeUndefined();
  expect(await store.item('msg_x', alice)).toBeUndefined();
  store.save(translated('y'));
  await store.drain();
  tick(60_001);
  expect(await store.find('y', alice)).toBeUndefined();
  expect(await store.item('msg_y', alice)).toBeUndefined();
  expect(await store.prune()).toBe(1);
  expect((db.sqlite.query('SELECT count(*) AS n FROM response_items').get() as { n: number }).n).toBe(0);
});

test('written elsewhere (the writer thread): readable from memory until on disk; remove waits for the write; a failed write is retried', async () => {
  const db = openMemoryDatabase();
  migrate(db.sqlite);
  let release: (() => void) | undefined;
  let fail = true;
  const errors: unknown[] = [];
  // A writer like the server's: it answers later, and the first time it fails.
  const writer = (rows: ResponseRow[]) =>
    new Promise<void>((resolve, reject) => {
      release = () => {
        if (fail) {
          fail = false;
          reject(new Error('disk full'));
        } else {
          writeResponseRows(db.sql, rows).then(resolve, reject);
        }
      };
    });
  const store = new ResponseStore(db, 60_000, Date.now, 10_000, writer, (e) => errors.push(e));
  store.save(translated('a'));
  store.flush();
  expect(rows(db).n).toBe(0);
  expect((await store.find('a', alice))?.response).toMatchObject({ id: 'a' }); // in flight: still readable
  release!();
  await Bun.sleep(0);
  expect(errors.map(String)).toEqual(['Error: disk full']);
  expect((await store.find('a', alice))?.response).toMatchObject({ id: 'a' }); // queued again, not lost
  store.flush();
  const removed = store.remove('a', alice); // must not delete before the insert lands
  release!();
  expect(await removed).toBe(true);
  expect(rows(db).n).toBe(0);
  expect(await store.find('a', alice)).toBeUndefined();
  db.close();
});

test("the gateway's own items are found through their ids (no index row); caller-chosen ids get a row; references none", async () => {
  const { db, store } = setup();
  const ids = new ItemIds();
  const id = ids.responseId;
  const own = { id: ids.next('msg_'), type: 'message', role: 'user', content: 'numbered by the gateway' };
  const chosen = { id: 'msg_chosen_by_the_caller', type: 'message', role: 'user', content: 'the caller set this id' };
  const earlier = { id: new ItemIds().next('fc_'), type: 'function_call', name: 'f', arguments: '{}', call_id: 'c' };
  const out = { id: ids.next('msg_'), type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'hi' }] };
  store.save({ ...translated(id), response: { id, output: [out] }, inputItems: [own, chosen, earlier], referenced: new Set([earlier.id]) });
  for (const item of [own, chosen, out]) expect(await store.item(item.id, alice)).toEqual(item); // pending
  await store.drain();
  const indexed = db.sqlite.query('SELECT item_id AS id FROM response_items').all() as { id: string }[];
  expect(indexed.map((r) => r.id)).toEqual([chosen.id]);
  const fresh = new ResponseStore(db, 60_000, () => 1_000_000);
  for (const item of [own, chosen, out]) expect(await fresh.item(item.id, alice)).toEqual(item); // written
  for (const item of [own, chosen, out]) expect(await fresh.item(item.id, team)).toBeUndefined(); // someone else's
  // An id of the gateway's form whose response is not there (or not this item's) is simply not found.
  expect(await fresh.item(new ItemIds().next('msg_'), alice)).toBeUndefined();
  expect(await fresh.item(`${own.id.slice(0, -2)}ff`, alice)).toBeUndefined();
});

test('response ids are unguessable, ordered by time, and name their items', () => {
  const a = newResponseId(1_700_000_000_000);
  const b = newResponseId(1_700_000_000_001);
  expect(a).toMatch(/^resp_[0-9a-f]{48}$/);
  expect(a < b).toBe(true);
  expect(newResponseId(1_700_000_000_000)).not.toBe(a); // 144 random bits after the time
  const ids = new ItemIds(a);
  const items = Array.from({ length: 300 }, () => ids.next('msg_'));
  expect(new Set(items).size).toBe(300);
  for (const item of items) expect(responseOfItem(item)).toBe(a);
  expect(responseOfItem(`msg_${'0'.repeat(48)}`)).toBeUndefined(); // the old random form: found by its row
  expect(responseOfItem('msg_chosen_by_the_caller')).toBeUndefined();
});

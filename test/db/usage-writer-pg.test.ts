/**
 * The usage writer thread on PostgreSQL: given a postgres:// url it writes through Bun SQL; two writers
 * (two nodes) recording into the same minutes, keys and models at once leave rollups equal to the raw sums;
 * a batch that fails is retried with its rows counted once. Saved /v1/responses go the same way: another
 * node retrieves them and follows their previous_response_id chain.
 */
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from 'bun:test';
import { SQL } from 'bun';
import { migratePg } from '../../src/db/pg/migrate';
import { openPgSql } from '../../src/db/pg/sql';
import { pgUsageStore } from '../../src/db/pg/usage-store';
import type { ResponseRow } from '../../src/db/response-rows';
import type { UsageStore } from '../../src/db/usage-store';
import { openDatabase } from '../../src/db/connection';
import { migrate } from '../../src/db/migrate';
import { WorkerUsageRecorder } from '../../src/domain/usage';
import { usageBackend } from '../../src/domain/usage-backend';
import { ResponseStore } from '../../src/domain/responses/response-store';
import { ItemIds } from '../../src/response-ids';
import { tempDir } from '../support/binary';
import { silentLogger, type Logger } from '../../src/log';
import { type Postgres, startPostgres } from '../support/services/postgres';
import { expectRollupsEqualRaw } from './usage-rollup-check';
import { generateUsage } from './usage-rows-generator';

setDefaultTimeout(60_000);
let pg: Postgres;
beforeAll(async () => {
  pg = await startPostgres();
});
afterAll(async () => {
  await pg?.stop();
});

async function fresh(): Promise<{ url: string; store: UsageStore; admin: SQL }> {
  const url = await pg.database();
  const admin = new SQL({ url, max: 1 });
  await migratePg(admin);
  return { url, store: pgUsageStore(url, { max: 1 }), admin };
}

test('two writer threads (two nodes) recording into the same rollup rows at once: every row once, rollups equal the raw sums', async () => {
  const { url, store, admin } = await fresh();
  const now = Date.now();
  const rows = generateUsage({ seed: 3, count: 6_000, since: now - 120_000, until: now, keys: 4, models: 2 });
  const errors: unknown[] = [];
  const log: Logger = { ...silentLogger, error: (msg, fields) => errors.push([msg, fields]) };
  const nodes = [new WorkerUsageRecorder(url, log, { flushIntervalMs: 5 }), new WorkerUsageRecorder(url, log, { flushIntervalMs: 5 })];
  for (let i = 0; i < rows.length; i++) {
    nodes[i % 2]!.record(rows[i]!);
    if (i % 500 === 499) await Bun.sleep(2); // let flushes interleave
  }
  await Promise.all(nodes.map((n) => n.drain()));
  // No write failed: rollup rows are locked in key order, so the writers never deadlock (retries would hide one).
  expect(errors).toEqual([]);
  await expectRollupsEqualRaw(store, rows.length);
  await Promise.all(nodes.map((n) => n.close()));
  await store.close();
  await admin.close();
});

test('a batch that fails is kept and retried, its rows counted once', async () => {
  const { url, store, admin } = await fresh();
  const errors: string[] = [];
  const log: Logger = { ...silentLogger, error: (msg) => errors.push(msg) };
  const recorder = new WorkerUsageRecorder(url, log, { flushIntervalMs: 60_000 });
  const now = Date.now();
  const rows = generateUsage({ seed: 4, count: 1_000, since: now - 60_000, until: now });
  // The last table of the transaction gone: the rows and every rollup before it are rolled back.
  await admin.unsafe('ALTER TABLE usage_end_user_day RENAME TO usage_end_user_day_away');
  for (const r of rows.slice(0, 600)) recorder.record(r);
  await recorder.drain();
  expect(errors).toEqual(['could not write usage records; will retry']);
  expect(recorder.pending).toBe(600);
  await admin.unsafe('ALTER TABLE usage_end_user_day_away RENAME TO usage_end_user_day');
  for (const r of rows.slice(600)) recorder.record(r);
  await recorder.drain();
  expect(recorder.pending).toBe(0);
  await expectRollupsEqualRaw(store, rows.length);
  await recorder.close();
  await store.close();
  await admin.close();
});

test('usageBackend: the recorder and reads of the configured database, SQLite without a url, PostgreSQL with one', async () => {
  const h = openDatabase(tempDir('aq-usage-backend-'));
  migrate(h.sqlite);
  const { url, store, admin } = await fresh();
  const now = Date.now();
  const rows = generateUsage({ seed: 5, count: 500, since: now - 600_000, until: now });
  const models = rows.filter((r) => !r.mcpServer).length;
  const requests = async (b: ReturnType<typeof usageBackend>) =>
    (await b.reads.report({ since: now - 3_600_000, until: now + 1, groupBy: 'org', calls: 'model', scope: { kind: 'all' } })).reduce((a, r) => a + r.requests, 0);
  const count = (table: string) => (h.sqlite.query(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;

  const lite = usageBackend({}, h, silentLogger, { flushIntervalMs: 5 });
  for (const r of rows) lite.recorder.record(r);
  await lite.recorder.drain();
  expect(await requests(lite)).toBe(models);
  expect(count('usage')).toBe(rows.length);
  await lite.close();

  const post = usageBackend({ databaseUrl: url }, h, silentLogger, { flushIntervalMs: 5 });
  for (const r of rows) post.recorder.record(r);
  await post.recorder.drain();
  expect(await requests(post)).toBe(models);
  expect(count('usage')).toBe(rows.length); // nothing more in SQLite
  await expectRollupsEqualRaw(store, rows.length);
  await post.close();
  await store.close();
  await admin.close();
  h.close();
});

test('saved responses: the writer thread writes them to PostgreSQL; another node retrieves them and follows their previous_response_id chain', async () => {
  const { url, store, admin } = await fresh();
  const errors: unknown[] = [];
  const recorder = new WorkerUsageRecorder(url, silentLogger, { flushIntervalMs: 20 });
  const written: ResponseRow[][] = [];
  const sql = openPgSql(url, { max: 1 });
  // As in the server: the store hands its batches to the usage writer thread.
  const node = new ResponseStore({ sql }, 60_000, Date.now, 5, (rows) => (written.push(rows), recorder.writeResponses(rows)), (e) => errors.push(e));
  const alice = { kind: 'user' as const, id: 7 };
  const chain: { id: string; input: Record<string, unknown>; output: Record<string, unknown> }[] = [];
  for (let i = 0; i < 3; i++) {
    const ids = new ItemIds();
    // A caller-chosen id (its own response_items row) and one of the gateway's (found through the response).
    const input = { id: `msg_caller_${i}`, type: 'message', role: 'user', content: `q${i} "quoted" \\ ✓` };
    const output = { id: ids.next('msg_'), type: 'message', role: 'assistant', content: [{ type: 'output_text', text: `a${i}` }] };
    node.save({ id: ids.responseId, owner: alice, keyId: 1, mode: 'translated', model: 'm', deployment: 'm#0', previousResponseId: chain.at(-1)?.id ?? null, inputItems: [input], response: { id: ids.responseId, output: [output] } });
    await node.drain(); // one batch each: the chain crosses batches
    chain.push({ id: ids.responseId, input, output });
  }
  expect(errors).toEqual([]);
  expect(written.map((rows) => rows.length)).toEqual([1, 1, 1]);
  expect(Number((await admin.unsafe('SELECT count(*) AS n FROM responses'))[0].n)).toBe(3);

  const otherSql = openPgSql(url, { max: 1 });
  const other = new ResponseStore({ sql: otherSql }, 60_000); // another node: nothing in memory
  const last = chain.at(-1)!;
  expect((await other.find(last.id, alice))?.response).toEqual({ id: last.id, output: [last.output] });
  expect(await other.find(last.id, { kind: 'user', id: 8 })).toBeUndefined();
  expect(await other.item('msg_caller_1', alice)).toEqual(chain[1]!.input);
  expect(await other.item(chain[0]!.output.id as string, alice)).toEqual(chain[0]!.output);
  expect((await other.conversation(last.id, alice)).map((item) => item.id)).toEqual(chain.flatMap((r) => [r.input.id, r.output.id]));

  // A batch handed to the thread again (a retry after a lost acknowledgement) is written without error, once.
  await recorder.writeResponses(written.flat());
  expect(Number((await admin.unsafe('SELECT count(*) AS n FROM response_items'))[0].n)).toBe(3);

  await recorder.close();
  await sql.close();
  await otherSql.close();
  await store.close();
  await admin.close();
});

/** Writes everything, keeping what the socket did not take until it drains (Bun's write may take part). */
function pipeTo(socket: { write(b: Uint8Array): number }) {
  let backlog: Uint8Array[] = [];
  const flush = () => {
    while (backlog.length) {
      const head = backlog[0]!;
      const n = socket.write(head);
      if (n < head.length) {
        backlog[0] = head.subarray(Math.max(n, 0));
        return;
      }
      backlog.shift();
    }
  };
  return {
    write(chunk: Uint8Array) {
      backlog.push(new Uint8Array(chunk));
      if (backlog.length === 1) flush();
    },
    drain: flush,
    get empty() {
      return backlog.length === 0;
    },
    clear: () => (backlog = []),
  };
}

/**
 * A TCP proxy to PostgreSQL that, once armed, passes the next COMMIT to the server and then cuts the
 * client's connection before the server's answer reaches it: the commit happens, its acknowledgement is lost.
 */
async function lossyProxy(target: { hostname: string; port: number }) {
  let armed = false;
  let cut = 0;
  type Pipe = ReturnType<typeof pipeTo>;
  const server = Bun.listen<{ up?: Pipe; upSocket?: { end(): void }; down?: Pipe; early: Uint8Array[]; dropped?: boolean }>({
    hostname: '127.0.0.1',
    port: 0,
    socket: {
      async open(client) {
        client.data = { early: [], down: pipeTo(client) };
        const upstream = await Bun.connect<undefined>({
          ...target,
          socket: {
            data(_s, chunk) {
              if (!client.data.dropped) client.data.down!.write(chunk);
            },
            drain() {
              client.data.up?.drain();
            },
            close() {
              if (!client.data.dropped) client.end();
            },
          },
        });
        client.data.up = pipeTo(upstream);
        client.data.upSocket = upstream;
        for (const c of client.data.early) client.data.up.write(c);
      },
      data(client, chunk) {
        const { up } = client.data;
        if (!up) client.data.early.push(new Uint8Array(chunk));
        else up.write(chunk);
        if (armed && Buffer.from(chunk).includes('COMMIT')) {
          armed = false;
          cut++;
          client.data.dropped = true; // the answer goes nowhere
          client.end();
          // The server reads COMMIT before it sees the connection go.
          setTimeout(() => client.data.upSocket?.end(), 500);
        }
      },
      drain(client) {
        client.data.down?.drain();
      },
      close(client) {
        if (!client.data.dropped) client.data.upSocket?.end();
      },
    },
  });
  return {
    port: server.port,
    arm: () => (armed = true),
    get cut() {
      return cut;
    },
    stop: () => server.stop(true),
  };
}

test('a commit whose acknowledgement is lost: the retry finds its rows stored and counts them once', async () => {
  const { url, store, admin } = await fresh();
  const u = new URL(url);
  const proxy = await lossyProxy({ hostname: u.hostname, port: Number(u.port) });
  u.port = String(proxy.port);
  const errors: string[] = [];
  const log: Logger = { ...silentLogger, error: (msg) => errors.push(msg) };
  const recorder = new WorkerUsageRecorder(u.toString(), log, { flushIntervalMs: 60_000 });
  const now = Date.now();
  const rows = generateUsage({ seed: 6, count: 800, since: now - 60_000, until: now });
  const count = async () => Number((await admin.unsafe('SELECT count(*) AS n FROM usage'))[0].n);

  recorder.record(rows[0]!); // the writer's connection opens through the proxy
  await recorder.drain();
  proxy.arm();
  for (const r of rows.slice(1, 500)) recorder.record(r);
  await recorder.drain();
  expect(proxy.cut).toBe(1);
  expect(errors).toEqual(['could not write usage records; will retry']);
  expect(recorder.pending).toBe(499); // kept for the retry...
  // ...although the server committed them (once the proxy has passed everything on).
  for (let deadline = Date.now() + 3_000; (await count()) < 500 && Date.now() < deadline; ) await Bun.sleep(20);
  expect(await count()).toBe(500);
  for (const r of rows.slice(500)) recorder.record(r);
  await recorder.drain();
  expect(recorder.pending).toBe(0);
  await expectRollupsEqualRaw(store, rows.length);
  await recorder.close();
  proxy.stop();
  await store.close();
  await admin.close();
});

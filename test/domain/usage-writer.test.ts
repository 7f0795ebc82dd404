import { describe, expect, test } from 'bun:test';
import { readdirSync, readFileSync } from 'node:fs';
import { openDatabase } from '../../src/db/connection';
import { migrate } from '../../src/db/migrate';
import { WorkerUsageRecorder, type UsageRecord } from '../../src/domain/usage';
import { ResponseStore } from '../../src/domain/responses/response-store';
import { ItemIds } from '../../src/response-ids';
import { silentLogger } from '../../src/log';
import { tempDir } from '../support/binary';

const row = (i: number): UsageRecord => ({
  createdAt: Date.now(), requestId: `r${i}`, keyId: 1, userId: 1, orgId: 1, teamId: null, model: 'm', deployment: 'm#0',
  endpoint: 'chat', status: 200, latencyMs: 3, ttftMs: null, inputTokens: i, outputTokens: 1, endUserId: '', stream: false, errorCode: null,
});

describe('usage writer worker', () => {
  test('saved /v1/responses are written on the writer thread and read back whole by another store on the database', async () => {
    const h = openDatabase(tempDir('aq-usage-responses-'));
    migrate(h.sqlite);
    const recorder = new WorkerUsageRecorder(h.path, silentLogger, { flushIntervalMs: 20 });
    const store = new ResponseStore(h, 60_000, Date.now, 5, (rows) => recorder.writeResponses(rows));
    const alice = { kind: 'user' as const, id: 7 };
    const saved = Array.from({ length: 50 }, (_, i) => {
      const ids = new ItemIds();
      const chosen = { id: `msg_caller_${i}`, type: 'message', role: 'user', content: `q${i} "quoted" ✓` };
      return { id: ids.responseId, owner: alice, keyId: 1, mode: 'translated' as const, model: 'm', deployment: 'm#0', previousResponseId: null, inputItems: [chosen], response: { id: ids.responseId, output: [{ id: ids.next('msg_'), type: 'message', role: 'assistant', content: [{ type: 'output_text', text: `a${i}` }] }] } };
    });
    for (const r of saved) store.save(r);
    await store.drain();
    expect(h.sqlite.query('SELECT count(*) AS n FROM responses').get()).toEqual({ n: 50 });
    const fresh = new ResponseStore(h, 60_000);
    for (const r of saved) {
      const found = await fresh.find(r.id, alice);
      expect(found?.response).toEqual(r.response);
      expect(found?.inputItems).toEqual(r.inputItems);
      expect(await fresh.item(r.inputItems[0]!.id, alice)).toEqual(r.inputItems[0]); // a caller's id: its own row
      expect(await fresh.item(r.response.output[0]!.id, alice)).toEqual(r.response.output[0]); // the gateway's: through its id
    }
    await recorder.close();
    h.close();
  });

  test('rows recorded on the main thread reach the database through the worker, each exactly once', async () => {
    const h = openDatabase(tempDir('aq-usage-'));
    migrate(h.sqlite);
    const recorder = new WorkerUsageRecorder(h.path, silentLogger, { flushIntervalMs: 20 });
    for (let i = 0; i < 5000; i++) recorder.record(row(i));
    await recorder.drain();
    expect(h.sqlite.query('SELECT count(*) AS n, sum(input_tokens) AS s, count(DISTINCT request_id) AS d FROM usage').get()).toEqual({ n: 5000, s: (4999 * 5000) / 2, d: 5000 });
    recorder.record(row(5000));
    await recorder.close();
    expect(h.sqlite.query('SELECT count(*) AS n FROM usage').get()).toEqual({ n: 5001 });
    h.close();
  });

  test('an idle writer thread is stopped and a new one starts with the next row; nothing is lost or doubled', async () => {
    const h = openDatabase(tempDir('aq-usage-idle-'));
    migrate(h.sqlite);
    const recorder = new WorkerUsageRecorder(h.path, silentLogger, { flushIntervalMs: 5, idleMs: 60 });
    const count = () => (h.sqlite.query('SELECT count(*) AS n, count(DISTINCT request_id) AS d FROM usage').get() as { n: number; d: number });
    let i = 0;
    for (let round = 0; round < 3; round++) {
      for (let k = 0; k < 300; k++) recorder.record(row(i++));
      await recorder.drain();
      expect(recorder.running).toBe(true);
      const deadline = Date.now() + 3000;
      while (recorder.running && Date.now() < deadline) await Bun.sleep(10);
      expect(recorder.running).toBe(false);
    }
    // Rows recorded while the writer is being stopped wait for the next one.
    for (let k = 0; k < 50; k++) recorder.record(row(i++));
    await Bun.sleep(100);
    for (let k = 0; k < 50; k++) recorder.record(row(i++));
    await recorder.close();
    expect(count()).toEqual({ n: i, d: i });
    h.close();
  });

  test('rows are pending until the writer confirms them', async () => {
    const h = openDatabase(tempDir('aq-usage-pending-'));
    migrate(h.sqlite);
    const recorder = new WorkerUsageRecorder(h.path, silentLogger, { flushIntervalMs: 60_000 });
    for (let i = 0; i < 300; i++) recorder.record(row(i));
    expect(recorder.pending).toBe(300);
    recorder.flush();
    expect(recorder.pending).toBe(300); // handed over, not written yet
    await recorder.drain();
    expect(recorder.pending).toBe(0);
    await recorder.close();
    h.close();
  });

  test.if(process.platform === 'linux')('the writer thread runs at a lower priority than the event loop', async () => {
    const h = openDatabase(tempDir('aq-usage-nice-'));
    migrate(h.sqlite);
    const recorder = new WorkerUsageRecorder(h.path, silentLogger, { flushIntervalMs: 5 });
    recorder.record(row(0));
    await recorder.drain();
    expect(recorder.lowered).toBe(true);
    // Field 19 of /proc/<pid>/task/<tid>/stat is the nice value.
    const nice = (tid: string) => {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
    };
    expect(readdirSync('/proc/self/task').some((tid) => nice(tid) === 10)).toBe(true);
    expect(nice(String(process.pid))).toBe(0); // the event loop keeps its priority
    await recorder.close();
    h.close();
  });
});

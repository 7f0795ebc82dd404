import { describe, expect, test } from 'bun:test';
import { openDatabase } from '../../src/db/connection';
import { migrate } from '../../src/db/migrate';
import { WorkerUsageRecorder, type UsageRecord } from '../../src/domain/usage';
import { silentLogger } from '../../src/log';
import { tempDir } from '../support/binary';

const row = (i: number): UsageRecord => ({
  createdAt: Date.now(), requestId: `r${i}`, keyId: 1, userId: 1, orgId: 1, teamId: null, model: 'm', deployment: 'm#0',
  endpoint: 'chat', status: 200, latencyMs: 3, ttftMs: null, inputTokens: i, outputTokens: 1, endUserId: '', stream: false, errorCode: null,
});

describe('usage writer worker', () => {
  test('rows recorded on the main thread reach the database through the worker, each exactly once', async () => {
    const h = openDatabase(tempDir('aq-usage-'));
    migrate(h.sqlite);
    const recorder = new WorkerUsageRecorder(h.path, silentLogger, 20);
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
    const recorder = new WorkerUsageRecorder(h.path, silentLogger, 5, 60);
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
});

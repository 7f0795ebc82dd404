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
});

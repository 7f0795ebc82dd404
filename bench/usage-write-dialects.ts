/**
 * Writer cost per dialect: the writer thread's write (rows + every rollup, one transaction) for 1,000-row
 * batches on SQLite (a file, WAL, synchronous=NORMAL as served) and on PostgreSQL (the test server:
 * loopback, fsync off), same seeded rows (test/db/usage-rows-generator.ts: 24 keys, 5 models, each batch
 * spanning 100 s of calls, so most rollup rows of a batch exist already, as in a busy gateway).
 *
 *   bun bench/usage-write-dialects.ts [--batches 30]
 */
import { SQL } from 'bun';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from '../src/db/connection';
import { migrate } from '../src/db/migrate';
import { migratePg } from '../src/db/pg/migrate';
import { pgUsageStore } from '../src/db/pg/usage-store';
import { sqliteUsageStore } from '../src/db/sqlite/usage-store';
import type { UsageStore } from '../src/db/usage-store';
import { usageWrite } from '../src/domain/usage-rows';
import { startPostgres } from '../test/support/services/postgres';
import { generateUsage } from '../test/db/usage-rows-generator';

const i = process.argv.indexOf('--batches');
const BATCHES = i > 0 ? Number(process.argv[i + 1]) : 30;
const SIZE = 1_000;
const start = Date.now() - BATCHES * 100_000;
const batches = Array.from({ length: BATCHES }, (_, b) =>
  generateUsage({ seed: 100 + b, count: SIZE, since: start + b * 100_000, until: start + (b + 1) * 100_000 }));

async function time(name: string, store: UsageStore): Promise<void> {
  const ms: number[] = [];
  for (const batch of batches) {
    const t = performance.now();
    await store.write(usageWrite(batch));
    ms.push(performance.now() - t);
  }
  const warm = ms.slice(3).sort((a, b) => a - b);
  const median = warm[Math.floor(warm.length / 2)]!;
  console.log(`${name.padEnd(10)} 1,000-row batch with rollups: median ${median.toFixed(1)} ms (${Math.round((SIZE / median) * 1000).toLocaleString()} rows/s), max ${warm[warm.length - 1]!.toFixed(1)} ms`);
}

const dir = mkdtempSync(join(tmpdir(), 'aq-bench-usage-'));
const h = openDatabase(dir);
migrate(h.sqlite);
await time('sqlite', sqliteUsageStore(h.sqlite));
h.close();
rmSync(dir, { recursive: true, force: true });

const pg = await startPostgres();
const url = await pg.database();
const admin = new SQL({ url, max: 1 });
await migratePg(admin);
await admin.close();
const store = pgUsageStore(url, { max: 1 });
await time('postgresql', store);
await store.close();
await pg.stop();

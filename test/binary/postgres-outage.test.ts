/**
 * A node serving from PostgreSQL while the database goes away and comes back (the compiled binary): what needs
 * the database answers 503 `database_unavailable` with Retry-After (never a 500), /ready says 503 so a load
 * balancer looks elsewhere, calls of known keys go on (keys are in memory; their usage waits in the writer's
 * queue), and once PostgreSQL is back everything works again without a restart, the outage's calls counted.
 */
import { SQL } from 'bun';
import { afterAll, expect, test } from 'bun:test';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startBinary, tempDir, type RunningBinary } from '../support/binary';
import { startPostgres, type Postgres } from '../support/services/postgres';

let pg: Postgres | undefined;
let node: RunningBinary | undefined;
afterAll(async () => {
  await node?.stop('SIGKILL');
  await pg?.stop();
});

test('PostgreSQL down: 503 database_unavailable where it is needed, known keys still served; back: no restart needed, usage counted', async () => {
  pg = await startPostgres();
  const url = await pg.database();
  const cwd = tempDir('aq-pg-outage-');
  mkdirSync(join(cwd, 'files'));
  node = await startBinary({ cwd, args: ['--demo'], env: { AQUEDUCT_DATABASE_URL: url, AQUEDUCT_FILE_STORE: join(cwd, 'files') } });
  const key = readFileSync(join(cwd, 'data/initial-admin-key'), 'utf8').trim();
  const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
  const chat = () => fetch(`${node!.url}/v1/chat/completions`, { method: 'POST', headers, body: JSON.stringify({ model: 'demo-chat', messages: [{ role: 'user', content: 'during' }] }) });
  expect((await fetch(`${node.url}/v1/files`, { headers })).status).toBe(200);

  await pg.halt();
  expect((await fetch(`${node.url}/ready`)).status).toBe(503);
  for (const path of ['/v1/files', '/v1/batches', '/admin/users', '/admin/usage']) {
    const res = await fetch(`${node.url}${path}`, { headers });
    expect({ path, status: res.status, retryAfter: res.headers.get('retry-after') }).toEqual({ path, status: 503, retryAfter: '1' });
    expect(((await res.json()) as { error: { code: string; type: string } }).error).toMatchObject({ code: 'database_unavailable', type: 'server_error' });
  }
  const during = await Promise.all([chat(), chat(), chat()]);
  expect(during.map((r) => r.status)).toEqual([200, 200, 200]);
  expect(node.log()).not.toContain('unhandled error');

  await pg.restart();
  let status = 0;
  for (const end = Date.now() + 10_000; status !== 200 && Date.now() < end; await Bun.sleep(100)) status = (await fetch(`${node.url}/v1/files`, { headers })).status;
  expect(status).toBe(200);
  expect((await fetch(`${node.url}/ready`)).status).toBe(200);
  // The three calls made while the database was away are written once it is back (the writer retries).
  const sql = new SQL({ url, max: 1 });
  let rows = 0;
  for (const end = Date.now() + 10_000; rows < 3 && Date.now() < end; await Bun.sleep(100)) {
    rows = ((await sql`SELECT count(*)::int AS n FROM usage WHERE model = 'demo-chat'`) as { n: number }[])[0]!.n;
  }
  await sql.close();
  expect(rows).toBe(3);
}, 60_000);

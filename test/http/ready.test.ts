/**
 * GET /ready asks the database through the Sql port, so it tells the truth on PostgreSQL as on SQLite:
 * 200 while the database answers, 503 when it does not, also when a server accepts the connection and never
 * answers (the check gives up after its timeout instead of hanging the probe). SQLite's 503 (the Database
 * closed) is in test/http/errors.test.ts.
 */
import { afterAll, describe, expect, setDefaultTimeout, test } from 'bun:test';
import { openPgSql } from '../../src/db/pg/sql';
import { healthRoutes } from '../../src/routes/health';
import { DIALECTS, stopDialects } from '../db/sql-dialects';

setDefaultTimeout(30_000);
afterAll(stopDialects);

const ready = (app: ReturnType<typeof healthRoutes>) => app.handle(new Request('http://localhost/ready'));

for (const d of DIALECTS) {
  describe(d.name, () => {
    test('/ready is 200 while the database answers', async () => {
      const res = await ready(healthRoutes({ db: { sql: await d.fresh() } }));
      expect(res.status).toBe(200);
      expect(await res.text()).toBe('ready');
    });
  });
}

test('on PostgreSQL: /ready is 503 when nothing listens, and within its timeout when the server never answers', async () => {
  const refused = openPgSql('postgres://postgres@127.0.0.1:1/none', { max: 1 });
  const res = await ready(healthRoutes({ db: { sql: refused } }));
  expect(res.status).toBe(503);
  expect(((await res.json()) as { error: { code: string } }).error.code).toBe('database_unavailable');
  await refused.close();

  // Accepts the connection and says nothing: the client waits for the server's first message forever.
  const silent = Bun.listen({ hostname: '127.0.0.1', port: 0, socket: { data() {} } });
  const hanging = openPgSql(`postgres://postgres@127.0.0.1:${silent.port}/none`, { max: 1 });
  const t0 = performance.now();
  expect((await ready(healthRoutes({ db: { sql: hanging } }, 300))).status).toBe(503);
  const waited = performance.now() - t0;
  expect(waited).toBeGreaterThan(250);
  expect(waited).toBeLessThan(5_000);
  silent.stop(true);
  await hanging.close();
});

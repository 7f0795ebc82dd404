/** A key printed by `aqueduct token create` (another process, same database) works on the very next request. */
import { afterAll, describe, expect, test } from 'bun:test';
import { join } from 'node:path';
import { runBinary, startBinary, tempDir, type RunningBinary } from '../support/binary';

describe('token create while the gateway runs', () => {
  let gw: RunningBinary | undefined;
  afterAll(async () => {
    await gw?.stop();
  });

  test('the new key is accepted at once (no refresh interval to wait for), 5 times in a row', async () => {
    const cwd = tempDir('aq-at-once-');
    const dataDir = join(cwd, 'data');
    // A long refresh interval: only the check on a miss can make the new keys work.
    gw = await startBinary({ cwd, args: ['--data-dir', dataDir, '--key-refresh-interval', '1h'] });
    for (let i = 0; i < 5; i++) {
      const created = await runBinary(['token', 'create', '--user', 'x@example.com', '--data-dir', dataDir], { cwd });
      expect(created.code).toBe(0);
      const key = created.stdout.trim();
      expect(key).toMatch(/^sk-[A-Za-z0-9_-]{43}$/);
      const res = await fetch(`${gw.url}/v1/models`, { headers: { authorization: `Bearer ${key}` } });
      expect(res.status).toBe(200);
      expect(((await res.json()) as { object: string }).object).toBe('list');
    }
  });
});

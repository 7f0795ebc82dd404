/** SIGTERM with streams in flight: they finish within the grace period, usage is flushed, the process exits 0. */
import { Database } from 'bun:sqlite';
import { afterAll, describe, expect, test } from 'bun:test';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startBinary, tempDir } from '../support/binary';
import { MockUpstream } from '../support/mock-upstream';

describe('graceful shutdown', () => {
  const mock = new MockUpstream().start();
  afterAll(() => mock.stop());

  test('streams in flight at SIGTERM complete; new connections are refused; usage is on disk', async () => {
    mock.profiles.set('s', { latencyMs: 0, chunkDelayMs: 40, extraWords: 20 });
    const cwd = tempDir('aq-term-');
    writeFileSync(join(cwd, 'router_config.yaml'), `model_list:\n  - model_name: m\n    litellm_params: { model: openai/up, api_base: "${mock.base('s')}" }\n`);
    const gw = await startBinary({ cwd });
    const key = readFileSync(join(cwd, 'data/initial-admin-key'), 'utf8').trim();
    const stream = () =>
      fetch(`${gw.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'go' }], stream: true }),
      }).then((r) => r.text());
    const inFlight = [stream(), stream(), stream()];
    await Bun.sleep(150); // the streams are under way (each takes about 1 s)
    gw.proc.kill('SIGTERM');
    await Bun.sleep(100);
    const refused = await fetch(`${gw.url}/health`).then(() => 'answered', () => 'refused');
    expect(refused).toBe('refused');
    const bodies = await Promise.all(inFlight);
    for (const b of bodies) {
      expect(b.trimEnd().endsWith('data: [DONE]')).toBe(true);
      expect(b).not.toContain('"error"');
    }
    expect(await gw.proc.exited).toBe(0);
    const db = new Database(join(cwd, 'data/aqueduct.db'), { readonly: true });
    expect(db.query("SELECT count(*) AS n FROM usage WHERE status = 200 AND stream = 1").get()).toEqual({ n: 3 });
    db.close();
  });
});

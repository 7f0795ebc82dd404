/** backup while serving, restore while stopped: the restored gateway knows the keys of the backup. */
import { describe, expect, test } from 'bun:test';
import OpenAI from 'openai';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { runBinary, startBinary, tempDir } from '../support/binary';

describe('backup and restore', () => {
  test('a consistent online copy, and putting it back', async () => {
    const cwd = tempDir('aq-backup-');
    let gw = await startBinary({ cwd });
    const created = await runBinary(['token', 'create', '--user', 'kept@example.com'], { cwd });
    const key = created.stdout.trim();
    const backup = join(cwd, 'copy.db');
    const b = await runBinary(['backup', '--out', backup], { cwd });
    expect(b.code).toBe(0);
    expect(existsSync(backup)).toBe(true);
    expect((await runBinary(['backup', '--out', backup], { cwd })).code).toBe(2); // never overwrites
    expect((await runBinary(['restore', backup], { cwd })).stderr).toContain('stop it first');
    // After the backup: a key that the restore will forget.
    const later = (await runBinary(['token', 'create', '--user', 'later@example.com'], { cwd })).stdout.trim();
    await gw.stop();

    const r = await runBinary(['restore', backup], { cwd });
    expect(r.code).toBe(0);
    expect(existsSync(join(cwd, 'data/aqueduct.db.before-restore'))).toBe(true);
    gw = await startBinary({ cwd });
    const client = (k: string) => new OpenAI({ apiKey: k, baseURL: `${gw.url}/v1`, maxRetries: 0 });
    for (let i = 0; i < 50; i++) if (await client(key).models.list().then(() => true, () => false)) break; else await Bun.sleep(50);
    expect((await client(key).models.list()).data).toEqual([]);
    expect(await client(later).models.list().catch((e) => e.status)).toBe(401);
    expect(readFileSync(join(cwd, 'data/initial-admin-key'), 'utf8')).toMatch(/^sk-/);
    await gw.stop();
    expect((await runBinary(['restore', join(cwd, 'nope.db')], { cwd })).code).toBe(2);
    rmSync(backup);
  });
});

/** backup while serving, restore while stopped: the restored gateway knows the keys of the backup. */
import { describe, expect, test } from 'bun:test';
import OpenAI from 'openai';
import { Database } from 'bun:sqlite';
import { existsSync, readFileSync, rmSync, statSync } from 'node:fs';
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
    expect(statSync(backup).mode & 0o777).toBe(0o600); // key hashes and usage: never world-readable
    expect((await runBinary(['backup', '--out', backup], { cwd })).code).toBe(2); // never overwrites
    expect((await runBinary(['restore', backup], { cwd })).stderr).toContain('stop it first');
    // After the backup: a key that the restore will forget.
    const later = (await runBinary(['token', 'create', '--user', 'later@example.com'], { cwd })).stdout.trim();
    // Killed, not stopped: the latest writes are still in the -wal, not yet in the database file.
    await gw.stop('SIGKILL');
    expect(existsSync(join(cwd, 'data/aqueduct.db-wal'))).toBe(true);

    const r = await runBinary(['restore', backup], { cwd });
    expect(r.code).toBe(0);
    // The previous database is kept whole, its -wal included: it still knows the later user.
    const previous = new Database(join(cwd, 'data/aqueduct.db.before-restore'), { readonly: true });
    expect(previous.query('SELECT email FROM users WHERE email = ?').all('later@example.com')).toEqual([{ email: 'later@example.com' }]);
    previous.close();
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

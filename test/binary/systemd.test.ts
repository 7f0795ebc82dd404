/** deploy/aqueduct.service passes systemd-analyze verify (where systemd-analyze exists). */
import { describe, expect, test } from 'bun:test';
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BINARY, tempDir } from '../support/binary';

const analyze = Bun.which('systemd-analyze');
if (!analyze) console.warn('systemd-analyze not found: skipping the unit check');

describe.skipIf(!analyze)('systemd unit', () => {
  test('systemd-analyze verify finds nothing wrong (paths rewritten to a scratch root)', async () => {
    const root = tempDir('aq-unit-');
    mkdirSync(join(root, 'etc'), { recursive: true });
    const unit = Bun.file(join(import.meta.dir, '../../deploy/aqueduct.service'));
    const bin = join(root, 'aqueduct');
    copyFileSync(BINARY, bin);
    writeFileSync(join(root, 'etc/aqueduct.env'), 'AQUEDUCT_PORT=8000\n');
    const text = (await unit.text())
      .replaceAll('/usr/local/bin/aqueduct', bin)
      .replaceAll('/etc/aqueduct/aqueduct.env', join(root, 'etc/aqueduct.env'))
      .replace(/^User=.*$/m, 'User=root')
      .replace(/^Group=.*$/m, 'Group=root');
    const path = join(root, 'aqueduct.service');
    writeFileSync(path, text);
    const r = Bun.spawnSync([analyze!, 'verify', path], { stdout: 'pipe', stderr: 'pipe' });
    const out = `${r.stdout}${r.stderr}`;
    // Complaints about the host (no systemd running in a container, unknown units it depends on) are not about our file.
    const ours = out.split('\n').filter((l) => l.includes('aqueduct.service') && !/Failed to (connect|create)|bus|Unit .* not found/i.test(l));
    expect(ours).toEqual([]);
  });
});

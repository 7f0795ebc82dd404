/** make release builds every target; those that can run here print their version; the binary ignores a stray .env/bunfig.toml. */
import { describe, expect, test } from 'bun:test';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runBinary, tempDir } from '../support/binary';

const root = join(import.meta.dir, '../..');
const version = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;

describe('release', () => {
  test('five Linux targets with checksums; x64 builds run', async () => {
    const make = Bun.spawnSync(['make', 'release'], { cwd: root, stdout: 'pipe', stderr: 'pipe' });
    expect(make.exitCode, make.stderr.toString()).toBe(0);
    const sums = readFileSync(join(root, 'dist/SHA256SUMS'), 'utf8').trim().split('\n');
    expect(sums).toHaveLength(5);
    for (const line of sums) {
      const [hash, name] = line.split(/\s+/) as [string, string];
      const bytes = readFileSync(join(root, 'dist', name));
      expect(new Bun.CryptoHasher('sha256').update(bytes).digest('hex')).toBe(hash);
      // ELF e_machine: 0x3e x86-64, 0xb7 aarch64; musl builds ask for musl's loader.
      expect(bytes.readUInt16LE(18)).toBe(name.includes('arm64') ? 0xb7 : 0x3e);
      expect(bytes.subarray(0, 4096).includes(Buffer.from('ld-musl'))).toBe(name.endsWith('musl'));
    }
    for (const target of ['linux-x64', 'linux-x64-baseline']) {
      const run = Bun.spawnSync([join(root, 'dist', `aqueduct-${version}-${target}`), '--version']);
      expect(run.stdout.toString().trim()).toBe(version);
    }
  }, 300_000);

  test('a .env or bunfig.toml in the working directory is ignored', async () => {
    const cwd = tempDir('aq-stray-');
    writeFileSync(join(cwd, '.env'), 'AQUEDUCT_ROUTER_CONFIG=does-not-exist.yaml\nAQUEDUCT_PORT=not-a-port\n');
    writeFileSync(join(cwd, 'bunfig.toml'), 'this is [not toml');
    const r = await runBinary(['check-config'], { cwd });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  });
});

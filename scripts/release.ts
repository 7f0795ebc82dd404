/**
 * make release: the binary for every Linux target (x64, x64 for older CPUs, arm64; glibc and musl) in dist/,
 * with SHA256SUMS. Worker entrypoints come from the Makefile (they must be named at compile time).
 * Usage: bun scripts/release.ts WORKER_ENTRYPOINT...
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dir, '..');
const version = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;
export const TARGETS = ['linux-x64', 'linux-x64-baseline', 'linux-arm64', 'linux-x64-musl', 'linux-arm64-musl'];
const workers = process.argv.slice(2);
const only = process.env.RELEASE_TARGETS?.split(',');

const sums: string[] = [];
for (const target of TARGETS.filter((t) => !only || only.includes(t))) {
  const name = `aqueduct-${version}-${target}`;
  const out = join(root, 'dist', name);
  const build = Bun.spawnSync(
    [process.execPath, 'build', '--compile', '--bytecode', '--minify-syntax', '--minify-whitespace', '--no-compile-autoload-dotenv', '--no-compile-autoload-bunfig', `--target=bun-${target}`, 'src/main.ts', ...workers, '--outfile', out],
    { cwd: root, stdout: 'inherit', stderr: 'inherit' },
  );
  if (build.exitCode !== 0) {
    console.error(`building ${target} failed`);
    process.exit(1);
  }
  sums.push(`${new Bun.CryptoHasher('sha256').update(readFileSync(out)).digest('hex')}  ${name}`);
}
writeFileSync(join(root, 'dist/SHA256SUMS'), `${sums.join('\n')}\n`);
console.log(`dist/SHA256SUMS:\n${sums.join('\n')}`);

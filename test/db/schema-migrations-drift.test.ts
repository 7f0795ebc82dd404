/**
 * Each Drizzle schema matches its migrations: drizzle-kit generate, run against a copy of the migration
 * folder, finds nothing to do. A schema edited without `make migration NAME=…` fails here (drizzle-kit would
 * write a new migration into the copy, or stop to ask about a rename).
 */
import { expect, test } from 'bun:test';
import { cpSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';

const root = join(import.meta.dir, '../..');

const listing = (dir: string): string[] => readdirSync(dir, { recursive: true, encoding: 'utf8' }).sort();

for (const { dialect, schema, dir } of [
  { dialect: 'sqlite', schema: 'src/db/schema.ts', dir: 'drizzle' },
  { dialect: 'postgresql', schema: 'src/db/pg/schema.ts', dir: 'drizzle-pg' },
]) {
  test(`${schema} has no change that ${dir}/ lacks (else run make migration NAME=…)`, () => {
    const tmp = mkdtempSync(join(tmpdir(), 'aqueduct-drift-'));
    try {
      const out = join(tmp, dir);
      cpSync(join(root, dir), out, { recursive: true });
      // drizzle-kit prefixes `./` to --out, so it must be relative to the working directory.
      const r = Bun.spawnSync([process.execPath, 'x', 'drizzle-kit', 'generate', '--dialect', dialect, '--schema', `./${schema}`, '--out', relative(root, out)], {
        cwd: root,
        stdin: 'ignore',
        stdout: 'pipe',
        stderr: 'pipe',
      });
      const output = `${r.stdout.toString()}${r.stderr.toString()}`;
      expect(listing(out)).toEqual(listing(join(root, dir)));
      expect(r.exitCode).toBe(0);
      expect(output).toContain('No schema changes');
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  }, 60_000); // drizzle-kit starts slowly on a busy machine
}

/**
 * Every repository path that README.md or deploy/ names is committed. A path that exists only on the
 * developer's disk (an ignored file, an untracked folder) passes every other test and still fails the
 * newcomer who copies the command from a clean clone — as examples/ once did.
 */
import { expect, test } from 'bun:test';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(import.meta.dir, '../..');
const TOP_DIRS = ['examples', 'deploy', 'src', 'test', 'bench', 'scripts', 'drizzle', '.ci'];
/** Paths the README names that `make` creates, never committed. */
const GENERATED = new Set(['bench/node_modules']);
const PATH = new RegExp(`(?<![\\w/.$-])(?:${TOP_DIRS.map((d) => d.replace('.', '\\.')).join('|')})/[\\w./-]*[\\w]`, 'g');

/** Repository paths named in a text (files, or folders when they end the match). */
export function namedPaths(text: string): string[] {
  return [...new Set(text.match(PATH) ?? [])];
}

function trackedFiles(): string[] {
  const r = Bun.spawnSync(['git', 'ls-files', '-z'], { cwd: ROOT });
  if (r.exitCode !== 0) throw new Error(`git ls-files failed: ${r.stderr.toString()}`);
  return r.stdout.toString().split('\0').filter(Boolean);
}

test('the path finder sees paths in prose, commands and code blocks, and not inside other paths', () => {
  expect(namedPaths('cp examples/router_config.yaml x; see `deploy/aqueduct.service`, src/cli/ and /etc/aqueduct/mcp.json or test/http.')).toEqual([
    'examples/router_config.yaml',
    'deploy/aqueduct.service',
    'src/cli',
    'test/http',
  ]);
});

test('every path README.md and deploy/ name is in the repository (tracked by git, not just on this disk)', () => {
  const tracked = trackedFiles();
  const exists = (p: string) => GENERATED.has(p) || tracked.some((f) => f === p || f.startsWith(`${p}/`));
  const sources = ['README.md', ...readdirSync(join(ROOT, 'deploy'), { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name).slice(ROOT.length + 1))];
  const named = sources.flatMap((source) => namedPaths(readFileSync(join(ROOT, source), 'utf8')).map((path) => ({ source, path })));
  expect(named.length).toBeGreaterThan(20);
  expect(named.filter((n) => !exists(n.path))).toEqual([]);
  // The files the quick start copies are among them.
  expect(named.map((n) => n.path)).toContain('examples/router_config.yaml');
  expect(named.map((n) => n.path)).toContain('examples/mcp.json');
});

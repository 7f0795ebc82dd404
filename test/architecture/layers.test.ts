/**
 * Layers point one way: routes → the model-call pipeline (calls/) → domain → db; calls → upstream; config
 * is read by all and reads none. Domain code knows no HTTP, and upstream/ is transport only. This test reads
 * every import in src/ and fails when a layer reaches the wrong way.
 */
import { expect, test } from 'bun:test';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const SRC = join(import.meta.dir, '../../src');

/** For each layer (a folder under src/), the layers it must not import. */
const FORBIDDEN: Record<string, string[]> = {
  config: ['db', 'store', 'domain', 'calls', 'upstream', 'http', 'routes', 'console', 'cli', 'workers', 'schemas', 'app.ts', 'server.ts'],
  // File bytes (disk or S3) and the Redis link: below the domain, beside db.
  store: ['db', 'domain', 'calls', 'upstream', 'http', 'routes', 'console', 'cli', 'workers', 'schemas', 'app.ts', 'server.ts'],
  db: ['domain', 'calls', 'upstream', 'http', 'routes', 'console', 'cli', 'schemas', 'app.ts', 'server.ts'],
  domain: ['calls', 'upstream', 'http', 'routes', 'console', 'cli', 'schemas', 'app.ts', 'server.ts'],
  upstream: ['db', 'domain', 'calls', 'http', 'routes', 'console', 'cli', 'workers', 'schemas', 'app.ts', 'server.ts'],
  calls: ['http', 'routes', 'console', 'cli', 'schemas', 'app.ts', 'server.ts'],
  http: ['routes', 'console', 'cli', 'app.ts', 'server.ts'],
  schemas: ['routes', 'console', 'cli', 'app.ts', 'server.ts'],
  routes: ['console', 'cli', 'server.ts'],
  // The web console: pages over calls/domain rules (the type of its deps comes from app.ts); only app.ts mounts it.
  console: ['routes', 'upstream', 'db', 'cli', 'workers', 'server.ts'],
};

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));
}

/** The top-level part of src/ a path is in: a folder name, or a file such as app.ts. */
const layerOf = (path: string) => relative(SRC, path).split('/')[0]!;

/** Relative imports of a source file (static, dynamic and re-exports), resolved to paths. */
export function importsOf(file: string, text = readFileSync(file, 'utf8')): string[] {
  const specs = [...text.matchAll(/(?:^|\n)\s*(?:import|export)\b[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g)].map((m) => m[1] ?? m[2]!);
  return specs.filter((s) => s.startsWith('.')).map((s) => resolve(dirname(file), s));
}

test('the import scanner sees static, type-only, dynamic and re-exported imports', () => {
  const file = join(SRC, 'domain/x.ts');
  const text = "import { a } from '../http/api-error';\nimport type { B } from './b';\nexport { c } from '../calls/c';\nconst d = await import('../upstream/d');";
  expect(importsOf(file, text).map((p) => relative(SRC, p))).toEqual(['http/api-error', 'domain/b', 'calls/c', 'upstream/d']);
});

test('no layer imports one it must not (domain knows no HTTP; upstream is transport only)', () => {
  const wrong: string[] = [];
  for (const file of files(SRC)) {
    const from = layerOf(file);
    const forbidden = FORBIDDEN[from];
    if (forbidden === undefined) continue;
    for (const target of importsOf(file)) {
      const to = layerOf(target.endsWith('.ts') ? target : `${target}.ts`);
      if (forbidden.includes(to)) wrong.push(`${relative(SRC, file)} → ${relative(SRC, target)}`);
    }
  }
  expect(wrong).toEqual([]);
});

test('the rules cover every layer the model calls pass through', () => {
  const layers = new Set(files(SRC).map(layerOf));
  for (const layer of ['config', 'db', 'domain', 'upstream', 'calls', 'http', 'routes', 'console']) expect(layers.has(layer)).toBe(true);
});

test('nothing but app.ts imports the web console', () => {
  const importers = files(SRC)
    .filter((file) => layerOf(file) !== 'console')
    // `./console` (the folder's index) and `./console/x` both count.
    .filter((file) => importsOf(file).some((target) => layerOf(target) === 'console'))
    .map((file) => relative(SRC, file));
  expect(importers).toEqual(['app.ts']);
});

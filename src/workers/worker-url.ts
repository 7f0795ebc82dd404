/**
 * Where a worker's code is. In the compiled binary, extra entrypoints live at /$bunfs/root/<path below
 * src>, while import.meta.url still names the source file on the build machine (so a URL relative to it
 * would load — or fail to load — files from disk). From sources, a path next to this file.
 */
export function workerUrl(name: 'usage-writer' | 'batch-worker'): string {
  if (process.argv[1]?.startsWith('/$bunfs/')) return `/$bunfs/root/workers/${name}.ts`;
  return new URL(`./${name}.ts`, import.meta.url).href;
}

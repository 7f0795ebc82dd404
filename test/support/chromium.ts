/** Headless Chromium (Debian package `chromium`) for tests of what a person sees. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function findChromium(): string | undefined {
  for (const name of ['chromium', 'chromium-browser', 'google-chrome']) {
    const path = Bun.which(name);
    if (path) return path;
  }
  return undefined;
}

/** Flags for a headless browser in a container, with every host but 127.0.0.1 unresolvable (no internet). */
export const OFFLINE_FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-dev-shm-usage',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1',
];

/**
 * Loads `url`, lets its scripts run, and returns the resulting DOM. Every host but 127.0.0.1 fails to
 * resolve, so the page must work with no internet.
 */
export async function renderedDom(chromium: string, url: string, opts: { screenshot?: string } = {}): Promise<string> {
  const profile = mkdtempSync(join(tmpdir(), 'aq-chromium-'));
  const common = [
    '--headless',
    ...OFFLINE_FLAGS,
    `--user-data-dir=${profile}`,
    '--virtual-time-budget=15000',
    '--window-size=1280,2000',
  ];
  if (opts.screenshot) {
    await Bun.spawn([chromium, ...common, `--screenshot=${opts.screenshot}`, url], { stdout: 'ignore', stderr: 'ignore' }).exited;
  }
  const proc = Bun.spawn([chromium, ...common, '--dump-dom', url], { stdout: 'pipe', stderr: 'pipe' });
  const [dom] = await Promise.all([new Response(proc.stdout).text(), proc.exited]);
  return dom;
}

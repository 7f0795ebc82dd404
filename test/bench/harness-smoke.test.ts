/** A tiny run of the benchmark harness (make bench), so that it keeps working. Not a measurement. */
import { describe, expect, test } from 'bun:test';
import { join } from 'node:path';

const wrk = Bun.which('wrk');
if (!wrk) console.warn('wrk not found: skipping the benchmark harness smoke test (make test installs it where it can)');

describe.skipIf(!wrk)('bench harness', () => {
  test('a quick run measures direct and aqueduct with no errors', async () => {
    const proc = Bun.spawn([process.execPath, join(import.meta.dir, '../../bench/run.ts'), '--quick', '--systems', 'direct,aqueduct', '--only', 'latency,streaming'], { stdout: 'pipe', stderr: 'pipe' });
    const [out, err] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text()]);
    expect(await proc.exited, err).toBe(0);
    const results = JSON.parse(out.trim().split('\n').at(-1)!) as Record<string, { latency: { requests: number; errors: number }; responsesLatency?: { requests: number; errors: number }; streams: { ok: number; errors: number } }>;
    for (const name of ['direct', 'aqueduct']) {
      expect(results[name]!.latency.requests).toBeGreaterThan(100);
      expect(results[name]!.latency.errors).toBe(0);
      expect(results[name]!.streams.errors).toBe(0);
    }
    expect(out).toContain('| added p50 over direct (ms) |');
    // The translated /v1/responses path is measured next to chat.
    expect(results.aqueduct!.responsesLatency!.requests).toBeGreaterThan(100);
    expect(results.aqueduct!.responsesLatency!.errors).toBe(0);
    expect(out).toContain('| /responses added p50 over chat (ms) |');
  }, 60_000);
});

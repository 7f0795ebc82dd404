/**
 * Abuse against the compiled binary (issue 15): unauthenticated callers cannot grow /metrics or make the
 * gateway read their bodies.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startBinary, type RunningBinary } from '../support/binary';

let gw: RunningBinary;
let adminKey: string;
beforeAll(async () => {
  gw = await startBinary({ args: ['--demo'] });
  adminKey = readFileSync(join(gw.cwd, 'data/initial-admin-key'), 'utf8').trim();
});
afterAll(async () => {
  await gw.stop();
});

const rssMb = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;

describe('the binary under unauthenticated abuse', () => {
  test('10,000 random unknown paths: /metrics stays under 20 KB, its series bounded', async () => {
    const scrape = () => fetch(`${gw.url}/metrics`, { headers: { authorization: `Bearer ${adminKey}` } }).then((r) => r.text());
    const series = (text: string) => text.split('\n').filter((l) => l !== '' && !l.startsWith('#')).length;
    const before = await scrape();
    for (let i = 0; i < 10_000; i += 100) {
      await Promise.all(Array.from({ length: 100 }, (_, j) => fetch(`${gw.url}/x${Math.random().toString(36).slice(2)}/${i + j}`).then((r) => r.arrayBuffer())));
    }
    await Bun.sleep(100); // access lines (which feed the metrics) are written after the response
    const after = await scrape();
    expect(after).toContain('route="unmatched",status="404"} 10000');
    expect(series(after) - series(before)).toBeLessThanOrEqual(2 * 18);
    expect(after.length).toBeLessThan(20_000);
  }, 60_000);

  test('six concurrent 30 MB bodies without a key: 401s, the bodies not consumed, RSS flat', async () => {
    const chunk = new Uint8Array(1024 * 1024).fill(0x20);
    const pid = gw.proc.pid;
    const before = rssMb(pid);
    let peak = before;
    const sampler = setInterval(() => (peak = Math.max(peak, rssMb(pid))), 10);
    const sentMb: number[] = [];
    const paths = ['/admin/users', '/v1/batches', '/mcp-servers/everything/mcp', '/admin/teams', '/v1/files', '/batches'];
    const statuses = await Promise.all(
      paths.map(async (path, i) => {
        sentMb[i] = 0;
        const body = new ReadableStream<Uint8Array>({
          pull(c) {
            if (sentMb[i]! >= 30) return c.close();
            sentMb[i]!++;
            c.enqueue(chunk);
          },
        });
        const contentType = path === '/v1/files' ? 'multipart/form-data; boundary=x' : 'application/json';
        const res = await fetch(`${gw.url}${path}`, { method: 'POST', body, headers: { 'content-type': contentType }, duplex: 'half' } as RequestInit);
        expect(res.headers.get('www-authenticate')).toBe('Bearer realm="aqueduct"');
        await res.arrayBuffer();
        return res.status;
      }),
    );
    clearInterval(sampler);
    expect(statuses).toEqual([401, 401, 401, 401, 401, 401]);
    // What the client pushed before the 401 is what socket buffers take, far from the 30 MB offered.
    for (const mb of sentMb) expect(mb).toBeLessThan(15);
    expect(peak - before).toBeLessThan(40);
  }, 60_000);
});

/**
 * Fires N identical requests at once from a separate process and prints their statuses as JSON.
 * A separate process because `bun test` keeps Bun's fetch limit of 256 requests in flight.
 * Usage: bun test/support/burst.ts URL N KEY BODY
 */
if (import.meta.main) {
  const [url, n, key, body] = process.argv.slice(2) as [string, string, string, string];
  const statuses = await Promise.all(
    Array.from({ length: Number(n) }, () =>
      fetch(url, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body }).then(
        async (r) => (await r.arrayBuffer(), r.status),
        () => 0,
      ),
    ),
  );
  console.log(JSON.stringify(statuses));
}

export async function burst(url: string, n: number, key: string, body: object): Promise<number[]> {
  const proc = Bun.spawn([process.execPath, import.meta.path, url, String(n), key, JSON.stringify(body)], { env: { ...process.env, BUN_CONFIG_MAX_HTTP_REQUESTS: String(n + 16) }, stdout: 'pipe' });
  const out = await new Response(proc.stdout).text();
  await proc.exited;
  return JSON.parse(out) as number[];
}

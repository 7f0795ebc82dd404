/** Streaming measurements: time to first byte, and many concurrent streams that must all complete. */

export interface Target {
  url: string;
  headers: (i: number) => Record<string, string>;
}

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;

/** Sequential streamed chats: ms from sending to the first body byte. */
export async function timeToFirstByte(t: Target, body: string, n: number): Promise<{ p50_ms: number; p99_ms: number }> {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    const res = await fetch(t.url, { method: 'POST', headers: t.headers(i), body });
    const reader = res.body!.getReader();
    await reader.read();
    times.push(performance.now() - t0);
    while (!(await reader.read()).done);
  }
  return { p50_ms: +pct(times, 50).toFixed(3), p99_ms: +pct(times, 99).toFixed(3) };
}

/** `n` streams at once; each must answer 200 and end with [DONE] and no error event. */
export async function concurrentStreams(t: Target, body: string, n: number): Promise<{ streams: number; ok: number; errors: number; seconds: number }> {
  const t0 = performance.now();
  const results = await Promise.all(
    Array.from({ length: n }, async (_, i) => {
      try {
        const res = await fetch(t.url, { method: 'POST', headers: t.headers(i), body });
        const text = await res.text();
        return res.status === 200 && text.trimEnd().endsWith('data: [DONE]') && !text.includes('"error"');
      } catch {
        return false;
      }
    }),
  );
  const ok = results.filter(Boolean).length;
  return { streams: n, ok, errors: n - ok, seconds: +((performance.now() - t0) / 1000).toFixed(2) };
}

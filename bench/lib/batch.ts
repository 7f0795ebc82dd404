/** The batch scenario: N lines against a slow upstream; time from create to completed, and peak RSS. */
import { rssMb } from './processes';

export interface BatchResult {
  lines: number;
  concurrency: number;
  upstream_latency_ms: number;
  seconds: number;
  ideal_seconds: number;
  ratio_to_ideal: number;
  completed: number;
  failed: number;
  peak_rss_mb: number;
}

export async function batchScenario(o: { url: string; key: string; pid: number; model: string; lines: number; concurrency: number; latencyMs: number }): Promise<BatchResult> {
  const auth = { authorization: `Bearer ${o.key}` };
  const jsonl = Array.from({ length: o.lines }, (_, i) => JSON.stringify({ custom_id: `b${i}`, method: 'POST', url: '/v1/chat/completions', body: { model: o.model, messages: [{ role: 'user', content: `line ${i}` }] } })).join('\n');
  const form = new FormData();
  form.append('purpose', 'batch');
  form.append('file', new Blob([jsonl]), 'bench.jsonl');
  const file = (await (await fetch(`${o.url}/v1/files`, { method: 'POST', headers: auth, body: form })).json()) as { id: string };
  let peak = rssMb(o.pid);
  const sampler = setInterval(() => (peak = Math.max(peak, rssMb(o.pid))), 50);
  const t0 = performance.now();
  const created = (await (
    await fetch(`${o.url}/v1/batches`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' }) })
  ).json()) as { id: string };
  let batch: { status: string; request_counts: { completed: number; failed: number } };
  for (;;) {
    batch = (await (await fetch(`${o.url}/v1/batches/${created.id}`, { headers: auth })).json()) as typeof batch;
    if (['completed', 'failed', 'expired', 'cancelled'].includes(batch.status)) break;
    await Bun.sleep(25);
  }
  const seconds = (performance.now() - t0) / 1000;
  clearInterval(sampler);
  const ideal = (o.lines / o.concurrency) * (o.latencyMs / 1000);
  return {
    lines: o.lines,
    concurrency: o.concurrency,
    upstream_latency_ms: o.latencyMs,
    seconds: +seconds.toFixed(2),
    ideal_seconds: +ideal.toFixed(2),
    ratio_to_ideal: +(seconds / ideal).toFixed(2),
    completed: batch.request_counts.completed,
    failed: batch.request_counts.failed,
    peak_rss_mb: peak,
  };
}

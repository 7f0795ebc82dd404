/**
 * Prometheus metrics in the text exposition format: counters and histograms fed by the access log (one
 * event source for both), a few counters from the router, and gauges read at scrape time.
 */
import type { AccessLine } from '../http/access-log';

type Labels = Record<string, string>;
const key = (labels: Labels) => Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, v]) => `${k}="${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`).join(',');

class Counter {
  readonly values = new Map<string, number>();
  constructor(readonly name: string, readonly help: string) {}
  inc(labels: Labels, by = 1): void {
    const k = key(labels);
    this.values.set(k, (this.values.get(k) ?? 0) + by);
  }
  render(): string[] {
    return [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} counter`, ...[...this.values].map(([k, v]) => `${this.name}${k ? `{${k}}` : ''} ${v}`)];
  }
}

class Histogram {
  private readonly series = new Map<string, { counts: number[]; sum: number; count: number }>();
  constructor(readonly name: string, readonly help: string, readonly buckets: number[]) {}
  observe(labels: Labels, value: number): void {
    const k = key(labels);
    let s = this.series.get(k);
    if (!s) this.series.set(k, (s = { counts: this.buckets.map(() => 0), sum: 0, count: 0 }));
    for (let i = 0; i < this.buckets.length; i++) if (value <= this.buckets[i]!) s.counts[i]!++;
    s.sum += value;
    s.count++;
  }
  render(): string[] {
    const out = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} histogram`];
    for (const [k, s] of this.series) {
      const sep = k ? `${k},` : '';
      this.buckets.forEach((b, i) => out.push(`${this.name}_bucket{${sep}le="${b}"} ${s.counts[i]}`));
      out.push(`${this.name}_bucket{${sep}le="+Inf"} ${s.count}`, `${this.name}_sum${k ? `{${k}}` : ''} ${s.sum}`, `${this.name}_count${k ? `{${k}}` : ''} ${s.count}`);
    }
    return out;
  }
}

const LATENCY = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];

/** Ids in paths become placeholders, so a label set stays small. */
export function routeOf(path: string): string {
  return path
    .replace(/^\/(v1\/)?models\/.+$/, (_m, v) => `/${v ?? ''}models/{model}`)
    .replace(/\/mcp-servers\/[^/]+\/mcp$/, '/mcp-servers/{name}/mcp')
    .split('/')
    .map((seg) => (/^(file-|batch_|mcp_)[A-Za-z0-9]+$/.test(seg) || /^\d+$/.test(seg) ? '{id}' : seg))
    .join('/');
}

export class Metrics {
  readonly requests = new Counter('aqueduct_requests_total', 'Requests by route, model and status');
  readonly duration = new Histogram('aqueduct_request_duration_seconds', 'Request latency (for streams: until the stream ended)', LATENCY);
  readonly ttft = new Histogram('aqueduct_time_to_first_token_seconds', 'Time to the first streamed chunk', LATENCY);
  readonly tokens = new Counter('aqueduct_tokens_total', 'Tokens by model and direction');
  readonly rateLimited = new Counter('aqueduct_rate_limited_total', 'Requests refused by the rate limiter');
  readonly upstreamFailures = new Counter('aqueduct_upstream_failures_total', 'Failed upstream attempts by deployment and kind');
  readonly retries = new Counter('aqueduct_upstream_retries_total', 'Upstream attempts beyond the first, by model');
  private readonly gauges: { name: string; help: string; read: () => [Labels, number][] }[] = [];

  /** Feeds one access-log line. */
  observe(line: AccessLine): void {
    const route = routeOf(line.path);
    this.requests.inc({ route, model: line.model ?? '', status: String(line.status) });
    this.duration.observe({ route }, line.latency_ms / 1000);
    if (line.ttft_ms !== undefined && line.ttft_ms !== null) this.ttft.observe({ model: line.model ?? '' }, line.ttft_ms / 1000);
    if (line.input_tokens) this.tokens.inc({ model: line.model ?? '', direction: 'input' }, line.input_tokens);
    if (line.output_tokens) this.tokens.inc({ model: line.model ?? '', direction: 'output' }, line.output_tokens);
    if (line.refused === 'rate_limit') this.rateLimited.inc({ model: line.model ?? '' });
  }

  /** For UpstreamRouter.onEvent: failed attempts and retries. */
  readonly routerEvent = (e: { type: 'failure'; deployment: string; kind: string } | { type: 'retry'; model: string }): void => {
    if (e.type === 'failure') this.upstreamFailures.inc({ deployment: e.deployment, kind: e.kind });
    else this.retries.inc({ model: e.model });
  };

  gauge(name: string, help: string, read: () => [Labels, number][]): void {
    this.gauges.push({ name, help, read });
  }

  render(): string {
    const lines = [this.requests, this.duration, this.ttft, this.tokens, this.rateLimited, this.upstreamFailures, this.retries].flatMap((m) => m.render());
    for (const g of this.gauges) {
      lines.push(`# HELP ${g.name} ${g.help}`, `# TYPE ${g.name} gauge`);
      for (const [labels, v] of g.read()) lines.push(`${g.name}${Object.keys(labels).length ? `{${key(labels)}}` : ''} ${v}`);
    }
    return `${lines.join('\n')}\n`;
  }
}

/**
 * Prometheus metrics in the text exposition format: counters and histograms fed by the access log (one
 * event source for both), a few counters from the router, and gauges read at scrape time.
 */
import type { AccessLine } from './access-line';
import { RouteLabels } from './route-labels';

type Labels = Record<string, string>;
const escape = (v: string) => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
const key = (labels: Labels) => Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, v]) => `${k}="${escape(v)}"`).join(',');

/**
 * The series of one metric, keyed by its label values in a fixed order. Observing is on every request's
 * path, so it only joins the values; the Prometheus label text is built at scrape time.
 */
class Series<T> {
  /**
   * Label values a caller controls (a model name) could still make series without end: past this many,
   * new label sets share one series whose values are all `other`, and the memory stays bounded.
   */
  static readonly MAX = 2_000;
  /** A tree of maps, one level per label: a lookup allocates nothing. */
  private readonly root = new Map<string, unknown>();
  private readonly all: { values: string[]; data: T }[] = [];
  /** Label names, sorted (the exposition order); values are passed in this order. */
  constructor(readonly labelNames: string[]) {}
  get(values: string[], create: () => T): T {
    if (values.length === 0) values = [''];
    let level = this.root;
    const last = values.length - 1;
    for (let i = 0; i < last; i++) {
      let next = level.get(values[i]!) as Map<string, unknown> | undefined;
      if (next === undefined) level.set(values[i]!, (next = new Map()));
      level = next;
    }
    let data = level.get(values[last]!) as T | undefined;
    if (data === undefined) {
      if (this.all.length >= Series.MAX) return this.overflow(create);
      data = create();
      level.set(values[last]!, data);
      this.all.push({ values, data });
    }
    return data;
  }
  private other: T | undefined;
  private overflow(create: () => T): T {
    if (this.other === undefined) {
      this.other = create();
      this.all.push({ values: this.labelNames.map(() => 'other'), data: this.other });
    }
    return this.other;
  }
  *entries(): Generator<[string, T]> {
    for (const { values, data } of this.all) yield [this.labelNames.map((n, i) => `${n}="${escape(values[i]!)}"`).join(','), data];
  }
}

class Counter {
  private readonly series: Series<{ v: number }>;
  constructor(readonly name: string, readonly help: string, labelNames: string[]) {
    this.series = new Series(labelNames);
  }
  /** `values` in the order of the (sorted) label names. */
  inc(values: string[], by = 1): void {
    this.series.get(values, () => ({ v: 0 })).v += by;
  }
  render(): string[] {
    return [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} counter`, ...[...this.series.entries()].map(([k, s]) => `${this.name}${k ? `{${k}}` : ''} ${s.v}`)];
  }
}

class Histogram {
  private readonly series: Series<{ counts: number[]; sum: number; count: number }>;
  constructor(readonly name: string, readonly help: string, labelNames: string[], readonly buckets: number[]) {
    this.series = new Series(labelNames);
  }
  observe(values: string[], value: number): void {
    const s = this.series.get(values, () => ({ counts: this.buckets.map(() => 0), sum: 0, count: 0 }));
    // Only the first bucket that holds the value is counted; render() makes the counts cumulative.
    let i = 0;
    while (i < this.buckets.length && value > this.buckets[i]!) i++;
    if (i < this.buckets.length) s.counts[i]!++;
    s.sum += value;
    s.count++;
  }
  render(): string[] {
    const out = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} histogram`];
    for (const [k, s] of this.series.entries()) {
      const sep = k ? `${k},` : '';
      let cumulative = 0;
      this.buckets.forEach((b, i) => out.push(`${this.name}_bucket{${sep}le="${b}"} ${(cumulative += s.counts[i]!)}`));
      out.push(`${this.name}_bucket{${sep}le="+Inf"} ${s.count}`, `${this.name}_sum${k ? `{${k}}` : ''} ${s.sum}`, `${this.name}_count${k ? `{${k}}` : ''} ${s.count}`);
    }
    return out;
  }
}

const LATENCY = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];

const STATUS_TEXT = Array.from({ length: 600 }, (_, i) => String(i));
const statusText = (status: number) => STATUS_TEXT[status] ?? String(status);

export class Metrics {
  readonly requests = new Counter('aqueduct_requests_total', 'Requests by route, model and status', ['model', 'route', 'status']);
  readonly duration = new Histogram('aqueduct_request_duration_seconds', 'Request latency (for streams: until the stream ended)', ['route'], LATENCY);
  readonly ttft = new Histogram('aqueduct_time_to_first_token_seconds', 'Time to the first streamed chunk', ['model'], LATENCY);
  readonly tokens = new Counter('aqueduct_tokens_total', 'Tokens by model and direction', ['direction', 'model']);
  readonly rateLimited = new Counter('aqueduct_rate_limited_total', 'Requests refused by the rate limiter', ['model']);
  readonly limitsUnavailable = new Counter('aqueduct_rate_limits_unavailable_total', 'Requests refused because the shared rate-limit store (Redis) was unreachable', ['model']);
  readonly upstreamFailures = new Counter('aqueduct_upstream_failures_total', 'Failed upstream attempts by deployment and kind', ['deployment', 'kind']);
  readonly retries = new Counter('aqueduct_upstream_retries_total', 'Upstream attempts beyond the first, by model', ['model']);
  private readonly gauges: { name: string; help: string; read: () => [Labels, number][] }[] = [];

  private routes = new RouteLabels();

  /** The route templates the app serves (set once every route is mounted); any other path is `unmatched`. */
  labelRoutes(templates: Iterable<string>): void {
    this.routes = new RouteLabels(templates);
  }

  /** Feeds one access-log line. */
  observe(line: AccessLine): void {
    const route = this.routes.of(line.path);
    const model = line.model ?? '';
    this.requests.inc([model, route, statusText(line.status)]);
    this.duration.observe([route], line.latency_ms / 1000);
    if (line.ttft_ms !== undefined && line.ttft_ms !== null) this.ttft.observe([model], line.ttft_ms / 1000);
    if (line.input_tokens) this.tokens.inc(['input', model], line.input_tokens);
    if (line.output_tokens) this.tokens.inc(['output', model], line.output_tokens);
    if (line.refused === 'rate_limit') this.rateLimited.inc([model]);
    else if (line.refused === 'rate_limits_unavailable') this.limitsUnavailable.inc([model]);
  }

  /** For UpstreamRouter.onEvent: failed attempts and retries. */
  readonly routerEvent = (e: { type: 'failure'; deployment: string; kind: string } | { type: 'retry'; model: string }): void => {
    if (e.type === 'failure') this.upstreamFailures.inc([e.deployment, e.kind]);
    else this.retries.inc([e.model]);
  };

  gauge(name: string, help: string, read: () => [Labels, number][]): void {
    this.gauges.push({ name, help, read });
  }

  render(): string {
    const lines = [this.requests, this.duration, this.ttft, this.tokens, this.rateLimited, this.limitsUnavailable, this.upstreamFailures, this.retries].flatMap((m) => m.render());
    for (const g of this.gauges) {
      lines.push(`# HELP ${g.name} ${g.help}`, `# TYPE ${g.name} gauge`);
      for (const [labels, v] of g.read()) lines.push(`${g.name}${Object.keys(labels).length ? `{${key(labels)}}` : ''} ${v}`);
    }
    return `${lines.join('\n')}\n`;
  }
}

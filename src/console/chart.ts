/**
 * Time-series charts drawn on the server as SVG: no script, no other host, nothing for the CSP to allow,
 * readable without JavaScript. Colours come from the stylesheet (classes s0, s1, …), so dark mode applies.
 * Every chart has a text title for screen readers; the page shows the same numbers in a table too.
 */
import { html, type Html } from './html';

export interface ChartSeries {
  name: string;
  /** Value per bucket start (Unix seconds); missing buckets are 0 (bars) or gaps (lines). */
  values: Map<number, number>;
}

export interface ChartOptions {
  title: string;
  /** Unix seconds: the x range, and the bucket length. */
  since: number;
  until: number;
  step: number;
  series: ChartSeries[];
  /** Bars stack the series (requests and failures, input and output tokens); lines draw one line each. */
  kind: 'bars' | 'lines';
  unit: string;
}

const W = 720;
const H = 200;
const PAD = { left: 56, right: 8, top: 10, bottom: 24 };

/** A round axis maximum above `max`: 1, 2 or 5 times a power of ten. */
export function niceMax(max: number): number {
  if (max <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(max));
  for (const m of [1, 2, 5, 10]) if (m * p >= max) return m * p;
  return 10 * p;
}

/** Short numbers for axis labels: 1.2k, 3.4M. */
export function shortNumber(n: number): string {
  const abs = Math.abs(n);
  if (abs >= 1e9) return `${+(n / 1e9).toFixed(1)}G`;
  if (abs >= 1e6) return `${+(n / 1e6).toFixed(1)}M`;
  if (abs >= 1e3) return `${+(n / 1e3).toFixed(1)}k`;
  if (n > 0 && n < 0.01) return '<0.01';
  return abs >= 10 || n === 0 ? String(Math.round(n)) : String(+n.toFixed(2));
}

/** A UTC time label that fits the span: hh:mm for a day or less, else the date. */
export function timeLabel(seconds: number, spanSeconds: number): string {
  const iso = new Date(seconds * 1000).toISOString();
  return spanSeconds <= 86_400 ? iso.slice(11, 16) : spanSeconds <= 8 * 86_400 ? `${iso.slice(5, 10)} ${iso.slice(11, 13)}h` : iso.slice(5, 10);
}

export function chart(o: ChartOptions): Html {
  const plotW = W - PAD.left - PAD.right;
  const plotH = H - PAD.top - PAD.bottom;
  const buckets: number[] = [];
  for (let t = Math.floor(o.since / o.step) * o.step; t < o.until; t += o.step) buckets.push(t);
  const n = Math.max(1, buckets.length);
  const x = (t: number) => PAD.left + ((t - buckets[0]!) / o.step / n) * plotW;
  const stackTop = (t: number) => o.series.reduce((a, s) => a + (s.values.get(t) ?? 0), 0);
  const max = niceMax(o.kind === 'bars' ? Math.max(0, ...buckets.map(stackTop)) : Math.max(0, ...o.series.flatMap((s) => [...s.values.values()])));
  const y = (v: number) => PAD.top + plotH - (v / max) * plotH;
  const barW = Math.max(1, plotW / n - (n > 100 ? 0 : 1));

  const grid = [0, 0.5, 1].map((f) => {
    const v = max * f;
    return html`<line class="grid" x1="${PAD.left}" x2="${W - PAD.right}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}"/><text class="axis" x="${PAD.left - 6}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end">${shortNumber(v)}</text>`;
  });
  // First, middle and last bucket; the edge labels are anchored inwards so they are never cut off.
  const ticks = [0, Math.floor((n - 1) / 2), n - 1].filter((i, k, a) => a.indexOf(i) === k && buckets[i] !== undefined).map((i) => {
    const t = buckets[i]!;
    const [at, anchor] = i === 0 ? [x(t), 'start'] : i === n - 1 ? [x(t) + barW, 'end'] : [x(t) + barW / 2, 'middle'];
    return html`<text class="axis" x="${at.toFixed(1)}" y="${H - 6}" text-anchor="${anchor}">${timeLabel(t, o.until - o.since)}</text>`;
  });

  let marks: Html[];
  if (o.kind === 'bars') {
    marks = buckets.flatMap((t) => {
      let base = 0;
      return o.series.map((s, i) => {
        const v = s.values.get(t) ?? 0;
        if (v <= 0) return html``;
        const top = y(base + v);
        const h = y(base) - top;
        base += v;
        return html`<rect class="s${i}" x="${x(t).toFixed(1)}" y="${top.toFixed(1)}" width="${barW.toFixed(1)}" height="${Math.max(0.5, h).toFixed(1)}"><title>${timeLabel(t, 0)} ${new Date(t * 1000).toISOString().slice(0, 10)} · ${s.name}: ${shortNumber(v)} ${o.unit}</title></rect>`;
      });
    });
  } else {
    marks = o.series.map((s, i) => {
      // A gap where a bucket had no calls: a new segment starts after it.
      const parts: string[] = [];
      let open = false;
      for (const t of buckets) {
        const v = s.values.get(t);
        if (v === undefined) {
          open = false;
          continue;
        }
        parts.push(`${open ? 'L' : 'M'}${(x(t) + barW / 2).toFixed(1)} ${y(v).toFixed(1)}`);
        open = true;
      }
      const lone = [...s.values.entries()].filter(([t]) => !s.values.has(t - o.step) && !s.values.has(t + o.step));
      return html`<path class="line s${i}" d="${parts.join(' ')}"/>${lone.map(([t, v]) => html`<circle class="s${i}" cx="${(x(t) + barW / 2).toFixed(1)}" cy="${y(v).toFixed(1)}" r="2.5"/>`)}`;
    });
  }
  const legend = o.series.map((s, i) => html`<li><span class="swatch s${i}" aria-hidden="true"></span>${s.name}</li>`);
  return html`<figure class="chart">
  <figcaption>${o.title}</figcaption>
  <svg viewBox="0 0 ${W} ${H}" role="img" aria-label="${o.title} (the numbers are in the table below)">
    ${grid}${marks}${ticks}
  </svg>
  <ul class="legend">${legend}</ul>
</figure>`;
}

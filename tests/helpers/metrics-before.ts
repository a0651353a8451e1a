/**
 * The test oracle for /metrics (issue 13): Steward's hand-written Prometheus exposition as it was before the switch
 * to prom-client (app/services/metrics.server.ts and the text rendering of app/services/prometheus.server.ts at
 * fc120ac), kept verbatim so tests/integration/metrics-exposition.test.ts can show that every series keeps its
 * name, labels and value. Test code only: nothing in app/ uses it.
 */
import type { Db } from "../../db/client";
import { GAUGE_PROVIDERS, type GaugeFamily } from "../../app/services/observability/gauges.server";

type Labels = Record<string, string>;

function labelKey(labels: Labels): string {
  const keys = Object.keys(labels).sort();
  if (!keys.length) return "";
  return "{" + keys.map((k) => `${k}="${escapeLabel(labels[k])}"`).join(",") + "}";
}

function escapeLabel(v: string): string {
  return v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');
}

const DEFAULT_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

interface HistogramSeries {
  labels: Labels;
  counts: number[];
  sum: number;
  count: number;
}

export type GaugeSource = () => Promise<{ labels: Labels; value: number }[]>;

export class MetricsRegistryBefore {
  private counters = new Map<string, { help: string; series: Map<string, { labels: Labels; value: number }> }>();
  private histograms = new Map<string, { help: string; buckets: number[]; series: Map<string, HistogramSeries> }>();
  private gauges = new Map<string, { help: string; source: GaugeSource }>();

  inc(name: string, help: string, labels: Labels = {}, by = 1) {
    let c = this.counters.get(name);
    if (!c) this.counters.set(name, (c = { help, series: new Map() }));
    const k = labelKey(labels);
    const s = c.series.get(k) ?? { labels, value: 0 };
    s.value += by;
    c.series.set(k, s);
  }

  observe(name: string, help: string, labels: Labels, seconds: number, buckets = DEFAULT_BUCKETS) {
    let h = this.histograms.get(name);
    if (!h) this.histograms.set(name, (h = { help, buckets, series: new Map() }));
    const k = labelKey(labels);
    let s = h.series.get(k);
    if (!s) h.series.set(k, (s = { labels, counts: h.buckets.map(() => 0), sum: 0, count: 0 }));
    h.buckets.forEach((b, i) => {
      if (seconds <= b) s!.counts[i]++;
    });
    s.sum += seconds;
    s.count++;
  }

  /** A gauge whose values are computed when /metrics is scraped. */
  gauge(name: string, help: string, source: GaugeSource) {
    this.gauges.set(name, { help, source });
  }

  async render(): Promise<string> {
    const out: string[] = [];
    for (const [name, g] of this.gauges) {
      out.push(`# HELP ${name} ${g.help}`, `# TYPE ${name} gauge`);
      try {
        for (const v of await g.source()) out.push(`${name}${labelKey(v.labels)} ${v.value}`);
      } catch {
        // A gauge whose source fails (database down) is left out rather than failing the scrape.
      }
    }
    for (const [name, c] of this.counters) {
      out.push(`# HELP ${name} ${c.help}`, `# TYPE ${name} counter`);
      for (const s of c.series.values()) out.push(`${name}${labelKey(s.labels)} ${s.value}`);
    }
    for (const [name, h] of this.histograms) {
      out.push(`# HELP ${name} ${h.help}`, `# TYPE ${name} histogram`);
      for (const s of h.series.values()) {
        h.buckets.forEach((b, i) => out.push(`${name}_bucket${labelKey({ ...s.labels, le: String(b) })} ${s.counts[i]}`));
        out.push(`${name}_bucket${labelKey({ ...s.labels, le: "+Inf" })} ${s.count}`);
        out.push(`${name}_sum${labelKey(s.labels)} ${s.sum}`, `${name}_count${labelKey(s.labels)} ${s.count}`);
      }
    }
    return out.join("\n") + "\n";
  }
}

function esc(v: string) {
  return v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');
}

/** Renders every provider's gauges; a provider that fails is reported as a comment, not a failed scrape. */
export async function renderGaugesBefore(db: Db, now = new Date()): Promise<string> {
  const out: string[] = [];
  for (const provider of GAUGE_PROVIDERS) {
    let families: GaugeFamily[];
    try {
      families = await provider(db, now);
    } catch (e) {
      out.push(`# gauge provider failed: ${esc((e as Error).message).slice(0, 200)}`);
      continue;
    }
    for (const f of families) {
      out.push(`# HELP ${f.name} ${f.help}`, `# TYPE ${f.name} gauge`);
      for (const s of f.samples) {
        const labels = Object.entries(s.labels);
        out.push(`${f.name}${labels.length ? `{${labels.map(([k, v]) => `${k}="${esc(v)}"`).join(",")}}` : ""} ${s.value}`);
      }
    }
  }
  return out.join("\n") + (out.length ? "\n" : "");
}

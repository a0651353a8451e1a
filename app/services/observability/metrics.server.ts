/**
 * Steward's Prometheus registry, on prom-client (the standard Node.js client): counters and histograms filled
 * in-process, gauges computed on scrape (from the database), and prom-client's default process metrics
 * (`process_resident_memory_bytes`, `nodejs_eventloop_lag_seconds`, GC, handles) that Prometheus operators expect.
 *
 * The metric names and labels are a public interface (dashboards and alerts depend on them): this module keeps the
 * small API the rest of Steward calls (`inc`, `observe`, `gauge`, `render`) so that no call site names prom-client,
 * and every series keeps the name and labels it had before the switch (tests/integration/metrics-exposition.test.ts).
 *
 * One registry per Steward, never prom-client's global one: tests run several Stewards in one process.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

type Labels = Record<string, string>;
export interface GaugeSample {
  labels: Labels;
  value: number;
}
export type GaugeSource = () => Promise<GaugeSample[]>;

/** A family of gauges computed at scrape time (the database-backed ones: users, federation, posture, tokens…). */
export interface GaugeFamily {
  name: string;
  help: string;
  samples: GaugeSample[];
}

const DEFAULT_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * A gauge whose samples are read when scraped. prom-client's `collect()` hook can only set values on a fixed label
 * set, and a label-less gauge always shows a 0; these gauges have label sets known only from their data, and a
 * family with nothing to report (no snapshot yet) must show no sample rather than a misleading 0.
 */
class ScrapedGauge extends Gauge<string> {
  constructor(name: string, help: string, registry: Registry, private readonly read: GaugeSource) {
    super({ name, help, registers: [registry] });
  }

  override async get() {
    const base = await super.get();
    let samples: GaugeSample[] = [];
    try {
      samples = await this.read();
    } catch {
      // A gauge whose source fails (database down) is left without samples rather than failing the scrape.
    }
    return { ...base, values: samples.map((s) => ({ labels: s.labels, value: s.value })) };
  }
}

export class MetricsRegistry {
  readonly registry = new Registry();
  private counters = new Map<string, Counter<string>>();
  private histograms = new Map<string, Histogram<string>>();
  private scraped = new Map<string, GaugeSample[]>();
  private scrapeQueue: Promise<unknown> = Promise.resolve();

  constructor(options: { processMetrics?: boolean } = {}) {
    if (options.processMetrics !== false) collectDefaultMetrics({ register: this.registry });
  }

  inc(name: string, help: string, labels: Labels = {}, by = 1) {
    let c = this.counters.get(name);
    if (!c) this.counters.set(name, (c = new Counter({ name, help, labelNames: Object.keys(labels), registers: [this.registry] })));
    c.inc(labels, by);
  }

  observe(name: string, help: string, labels: Labels, seconds: number, buckets = DEFAULT_BUCKETS) {
    let h = this.histograms.get(name);
    if (!h) this.histograms.set(name, (h = new Histogram({ name, help, buckets, labelNames: Object.keys(labels), registers: [this.registry] })));
    h.observe(labels, seconds);
  }

  /** A gauge whose values are computed when /metrics is scraped (a second call with the same name replaces it). */
  gauge(name: string, help: string, source: GaugeSource) {
    this.registry.removeSingleMetric(name);
    new ScrapedGauge(name, help, this.registry, source);
  }

  /**
   * The exposition text: this process's metrics plus the scrape-time gauge families given (computed by the caller
   * from the database), with a comment line for each provider that failed. Scrapes run one at a time, since the
   * families are handed to their gauges through this registry.
   */
  render(families: GaugeFamily[] = [], failures: string[] = []): Promise<string> {
    const run = this.scrapeQueue.then(async () => {
      this.scraped = new Map(families.map((f) => [f.name, f.samples]));
      for (const f of families) {
        if (!this.registry.getSingleMetric(f.name)) {
          new ScrapedGauge(f.name, f.help, this.registry, async () => this.scraped.get(f.name) ?? []);
        }
      }
      const text = await this.registry.metrics();
      return failures.map((m) => `# gauge provider failed: ${m}\n`).join("") + text;
    });
    this.scrapeQueue = run.catch(() => undefined);
    return run;
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}

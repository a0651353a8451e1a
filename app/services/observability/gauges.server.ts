/**
 * Prometheus gauges computed from Steward's database at scrape time. Each feature adds a provider to
 * GAUGE_PROVIDERS (user counts, federation states, security posture...). Counters and histograms of the running
 * process live in the MetricsRegistry (observability/metrics.server.ts).
 */
import type { Db } from "../../../db/client";
import { MetricsRegistry, type GaugeFamily } from "./metrics.server";
import { COLLECTORS } from "../collectors/registry.server";
import { collectorStatus } from "../collectors/framework.server";
import { federationGaugeFamilies } from "../federation/destinations.server";
import { userCountGauges } from "../users/counts.server";
import { postureGauges } from "../posture/metrics.server";
import { tokenGauges } from "../tokens/metrics.server";

export type { GaugeFamily };

export type GaugeProvider = (db: Db, now: Date) => Promise<GaugeFamily[]>;

const collectorGauges: GaugeProvider = async (db) => {
  const statuses = await collectorStatus(db, COLLECTORS.map((c) => c.name));
  return [
    {
      name: "steward_collector_last_success_timestamp_seconds",
      help: "When each collector last finished successfully (Unix time).",
      samples: statuses
        .filter((s) => s.lastSuccess?.finishedAt)
        .map((s) => ({ labels: { collector: s.name }, value: Math.floor(s.lastSuccess!.finishedAt!.getTime() / 1000) })),
    },
    {
      name: "steward_collector_consecutive_failures",
      help: "Failed runs in a row for each collector (0 when the last run succeeded).",
      samples: statuses.map((s) => ({ labels: { collector: s.name }, value: s.consecutiveFailures })),
    },
  ];
};

export const GAUGE_PROVIDERS: GaugeProvider[] = [collectorGauges, userCountGauges, federationGaugeFamilies, postureGauges, tokenGauges];

/** Every provider's gauge families; a provider that fails is named in `failures` (shown as a comment), not fatal. */
export async function gaugeFamilies(db: Db, now = new Date()): Promise<{ families: GaugeFamily[]; failures: string[] }> {
  const families: GaugeFamily[] = [];
  const failures: string[] = [];
  for (const provider of GAUGE_PROVIDERS) {
    try {
      families.push(...(await provider(db, now)));
    } catch (e) {
      failures.push(oneLine((e as Error).message).slice(0, 200));
    }
  }
  return { families, failures };
}

function oneLine(v: string) {
  return v.replace(/\s+/g, " ");
}

/** The database gauges alone, in the exposition format (for tests and tools; /metrics adds the process's own). */
export async function renderGauges(db: Db, now = new Date()): Promise<string> {
  const { families, failures } = await gaugeFamilies(db, now);
  return new MetricsRegistry({ processMetrics: false }).render(families, failures);
}

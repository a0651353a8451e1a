/**
 * Prometheus gauges computed from Steward's database at scrape time. Each feature adds a provider to
 * GAUGE_PROVIDERS (user counts, federation states, security posture...). Counters and histograms of the running
 * process live in the MetricsRegistry (observability/metrics.server.ts).
 */
import type { Db } from "../../../db/client";
import { COLLECTORS } from "../collectors/registry.server";
import { collectorStatus } from "../collectors/framework.server";
import { federationGaugeFamilies } from "../federation/destinations.server";
import { userCountGauges } from "../users/counts.server";
import { postureGauges } from "../posture/metrics.server";
import { tokenGauges } from "../tokens/metrics.server";

export interface GaugeFamily {
  name: string;
  help: string;
  samples: { labels: Record<string, string>; value: number }[];
}

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

function esc(v: string) {
  return v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');
}

/** Renders every provider's gauges; a provider that fails is reported as a comment, not a failed scrape. */
export async function renderGauges(db: Db, now = new Date()): Promise<string> {
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

/**
 * The overview's federation cards (a KPI provider for app/services/overview/kpis.server.ts): how many destinations
 * are failing now, against a week ago, and how many checks of our own server's self-check fail. Database only.
 */
import { desc, lte } from "drizzle-orm";
import type { Db } from "../../../db/client";
import { federationSnapshots } from "../../../db/schema";
import { stateCounts } from "./destinations.server";
import { currentSelfCheckProblems } from "./self-check/run.server";

/** Structurally the overview's Kpi (kept local so this module does not depend on the overview's internals). */
export interface FederationKpi {
  id: string;
  label: string;
  value: number | null;
  unavailable?: string;
  delta?: number | null;
  comparedAt?: Date | null;
  better?: "up" | "down" | "neither";
  href?: string;
  hint?: string;
}

const WEEK_MS = 7 * 86_400_000;

export async function federationKpis({ db, now }: { db: Db; now: Date }): Promise<FederationKpi[]> {
  const out: FederationKpi[] = [];
  const [latest] = await db.select().from(federationSnapshots).orderBy(desc(federationSnapshots.takenAt)).limit(1);
  if (latest) {
    const counts = await stateCounts(db, now.getTime());
    const failing = counts.backing_off + counts.retry_due + counts.dead;
    const total = failing + counts.healthy;
    const weekAgo = new Date(now.getTime() - WEEK_MS);
    const [old] = await db
      .select()
      .from(federationSnapshots)
      .where(lte(federationSnapshots.takenAt, weekAgo))
      .orderBy(desc(federationSnapshots.takenAt))
      .limit(1);
    // With less than a week of history there is nothing to compare with (one rule for every card, issue 14).
    const base = old && old.id !== latest.id ? old.backingOff + old.retryDue + old.dead : null;
    out.push({
      id: "federation.failing",
      label: "Federation failing",
      value: failing,
      delta: base === null ? null : failing - base,
      comparedAt: base === null ? null : old!.takenAt,
      better: "down",
      href: failing ? "/federation?sort=state" : "/federation",
      hint: `of ${total.toLocaleString("en")} destinations${counts.dead ? `, ${counts.dead} dead` : ""}`,
    });
  }
  const self = await currentSelfCheckProblems(db);
  if (self) {
    const failed = self.problems.filter((p) => p.status === "fail");
    out.push({
      id: "federation.self_check",
      label: "Self-check failures",
      value: failed.length,
      better: "down",
      href: "/federation/self-check",
      // The checks' titles, not their summaries: a card holds two short names; the page behind it has the details.
      hint: failed.length
        ? failed.slice(0, 2).map((p) => p.title).join(" · ") + (failed.length > 2 ? ` · and ${failed.length - 2} more` : "")
        : self.problems.length
          ? `${self.problems.length} warning${self.problems.length === 1 ? "" : "s"}`
          : "our server is reachable",
    });
  }
  return out;
}

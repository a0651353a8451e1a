/**
 * The overview page's KPI cards, built by providers: each report contributes its cards by appending a provider
 * to KPI_PROVIDERS (one line, like COLLECTORS). KPI_SLOTS fixes the order of the cards the overview promises;
 * a slot no provider has filled yet shows as "not reported yet", and cards outside the slots follow them.
 *
 *   // in app/services/tokens/tokens.server.ts (for example)
 *   export const tokenKpis: KpiProvider = async ({ db, now }) => [{ id: "tokens.valid", label: "Tokens valid", value: 3 }];
 *   // here: export const KPI_PROVIDERS = [userCountKpis, tokenKpis];
 *
 * Providers read Steward's database only (never the homeserver), so the overview stays fast and works while the
 * homeserver is down. A provider that throws turns its slots into an error card; the other cards still render.
 */
import type { Db } from "../../../db/client";
import type { Config } from "../../config.server";
import type { UserCountSnapshot } from "../../../db/schema";
import type { Kpi, KpiCard } from "./types";
import { collectorFreshness, type Freshness } from "../collectors/freshness.server";
import { latestSnapshot, snapshotAtOrBefore, userSeries, type Range, type UserSeries } from "../users/counts.server";
import { postureKpis } from "../posture/metrics.server";
import { federationKpis } from "../federation/kpis.server";
import { tokenKpis } from "../tokens/metrics.server";


export interface KpiContext {
  db: Db;
  config: Config;
  now: Date;
}

export type KpiProvider = (ctx: KpiContext) => Promise<Kpi[]>;

/** The cards the overview promises, in order. Later reports fill the last three. */
export const KPI_SLOTS: ReadonlyArray<{ id: string; label: string }> = [
  { id: "users.total", label: "Accounts" },
  { id: "users.active_30d", label: "Active (30 days)" },
  { id: "users.new_7d", label: "New this week" },
  { id: "users.deactivated", label: "Deactivated" },
  { id: "tokens.valid", label: "Registration tokens valid" },
  { id: "federation.failing", label: "Federation failing" },
  { id: "security.not_secured", label: "Users not fully secured" },
];

const WEEK_MS = 7 * 86_400_000;

/** The user-count cards, from the latest snapshot and the one a week before it. */
export const userCountKpis: KpiProvider = async ({ db }) => {
  const latest = await latestSnapshot(db);
  if (!latest) return [];
  const before = await snapshotAtOrBefore(db, new Date(latest.takenAt.getTime() - WEEK_MS));
  const card = (id: string, label: string, key: "total" | "active30d" | "created7d" | "deactivated", better: Kpi["better"], href: string): Kpi => {
    const value = latest[key];
    const old = before?.[key];
    return {
      id,
      label,
      value,
      ...(value === null ? { unavailable: latest.unavailable[key] ?? "Not available on this server." } : {}),
      delta: value !== null && old !== null && old !== undefined ? value - old : null,
      comparedAt: before?.takenAt ?? null,
      better,
      href,
    };
  };
  return [
    card("users.total", "Accounts", "total", "up", "/users"),
    card("users.active_30d", "Active (30 days)", "active30d", "up", "/users?filter=active&days=30"),
    card("users.new_7d", "New this week", "created7d", "up", "/users?sort=created&dir=desc"),
    card("users.deactivated", "Deactivated", "deactivated", "neither", "/users?filter=deactivated"),
  ];
};

export type { Kpi, KpiCard } from "./types";

/** Append your report's provider here. */
export const KPI_PROVIDERS: KpiProvider[] = [userCountKpis, tokenKpis, postureKpis, federationKpis];


/** The one rule for "vs a week ago": the compared value must be at least a week old, else there is no delta. */
export function weekRule(card: KpiCard, now: Date): KpiCard {
  if (card.delta === undefined || card.delta === null) return card;
  const at = card.comparedAt ? new Date(card.comparedAt).getTime() : NaN;
  if (Number.isFinite(at) && at <= now.getTime() - WEEK_MS) return card;
  return { ...card, delta: null };
}

/** Runs every provider (in parallel) and lays the cards out along KPI_SLOTS. */
export async function loadKpis(ctx: KpiContext, providers: readonly KpiProvider[] = KPI_PROVIDERS): Promise<KpiCard[]> {
  const results = await Promise.all(
    providers.map((p) =>
      p(ctx).then(
        (cards): { cards: KpiCard[] } => ({ cards }),
        (e: unknown) => ({ cards: [] as KpiCard[], error: e instanceof Error ? e.message : String(e) }),
      ),
    ),
  );
  const byId = new Map<string, KpiCard>();
  for (const r of results) for (const c of r.cards) byId.set(c.id, weekRule(c, ctx.now));
  const failures = results.filter((r): r is { cards: KpiCard[]; error: string } => "error" in r);
  const slotted = KPI_SLOTS.map((s): KpiCard => byId.get(s.id) ?? { id: s.id, label: s.label, value: null, placeholder: true });
  const extra = [...byId.values()].filter((c) => !KPI_SLOTS.some((s) => s.id === c.id));
  const errors = failures.map((f, i): KpiCard => ({ id: `error.${i}`, label: "A report failed", value: null, error: `Could not read this report: ${f.error.slice(0, 200)}` }));
  return [...slotted, ...extra, ...errors];
}

// ------------------------------------------------------------------ the overview page's data

export interface OverviewData {
  kpis: KpiCard[];
  series: UserSeries;
  freshness: Freshness;
  /** Every count of the latest snapshot (null before the first collection). */
  latest: (Omit<UserCountSnapshot, "takenAt"> & { takenAt: string }) | null;
}

/** Everything the overview page shows, from Steward's database only. */
export async function loadOverview(ctx: KpiContext, range: Range): Promise<OverviewData> {
  const [kpis, series, freshness, latest] = await Promise.all([
    loadKpis(ctx),
    userSeries(ctx.db, range, ctx.now),
    collectorFreshness(ctx.db, ctx.config, "user-counts", ctx.now),
    latestSnapshot(ctx.db),
  ]);
  return { kpis, series, freshness, latest: latest ? { ...latest, takenAt: latest.takenAt.toISOString() } : null };
}

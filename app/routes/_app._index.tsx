/** Overview: KPI cards with their change over a week, user charts over a chosen range, and data freshness. */
import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { json } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { z } from "zod";
import { KpiCards } from "~/components/overview/KpiCards";
import { RefreshButton } from "~/components/collectors/RefreshButton";
import { StaleBanner } from "~/components/collectors/StaleBanner";
import { FirstCollection } from "~/components/collectors/FirstCollection";
import { Time } from "~/components/Time";
import { UserCharts } from "~/components/users/UserCharts";
import { warmUpCharts } from "~/components/users/warm-up-charts";
import { LatestCounts } from "~/components/users/LatestCounts";
import { requireAdmin } from "~/services/auth/guard.server";
import { loadOverview } from "~/services/overview/kpis.server";
import { RANGE_LABELS, RANGES } from "~/services/users/ranges";
import { allowPageCache } from "~/services/page-cache/cache.server";
import { prefetchedLoader } from "~/components/prefetch-data";

export const meta: MetaFunction = () => [{ title: "Overview · Steward" }];

// Built per request, not at the top level, so zod stays out of the page's browser scripts (decision 038).
const querySchema = () => z.object({ range: z.enum(RANGES).catch("30d") });

export async function loader(args: LoaderFunctionArgs) {
  const { steward } = await requireAdmin(args);
  const { range } = querySchema().parse(Object.fromEntries(new URL(args.request.url).searchParams));
  const data = await loadOverview({ db: steward.db, config: steward.config, now: new Date() }, range);
  // Steward's database only: the rendered page may be served again until the data changes (decision 010).
  allowPageCache(args.context);
  return json(data, { headers: { "Cache-Control": "no-store" } });
}

/** Takes the answer asked for while the pointer rested on a link here (decision 028). */
export const clientLoader = prefetchedLoader;

/**
 * `warmUp` is run by the sign-in page while the admin types, when the overview is where signing in leads
 * (preload.ts). In `handle`: Remix's browser build keeps only the route exports it knows.
 */
export const handle = { warmUp: warmUpCharts };

export default function Overview() {
  const data = useLoaderData<typeof loader>();
  return (
    <>
      <div style={{ display: "flex", alignItems: "center", gap: "1rem", flexWrap: "wrap" }}>
        <h1 style={{ marginRight: "auto" }}>Overview</h1>
        {data.latest ? (
          <span className="muted small">
            Counted <Time value={data.latest.takenAt} />
          </span>
        ) : null}
        <RefreshButton collector="user-counts" />
      </div>
      {/* Before the first success, the notice that also reloads the page when it arrives. */}
      {data.freshness.lastSuccessAt ? <StaleBanner freshness={data.freshness} /> : <FirstCollection freshness={data.freshness} />}
      <KpiCards cards={data.kpis} />
      <nav className="tabs" aria-label="Range">
        {RANGES.map((r) => (
          <Link key={r} to={`?range=${r}`} className={r === data.series.range ? "active" : undefined} aria-current={r === data.series.range ? "page" : undefined} preventScrollReset>
            {RANGE_LABELS[r]}
          </Link>
        ))}
      </nav>
      <UserCharts series={data.series} unavailableActive={data.latest?.unavailable.active30d ?? null} />
      {data.latest ? <LatestCounts snapshot={data.latest} /> : null}
    </>
  );
}

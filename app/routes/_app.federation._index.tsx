/** Federation: which remote servers we cannot reach, since when, and when Synapse tries again. */
import type { LoaderFunctionArgs, MetaFunction, SerializeFrom } from "@remix-run/node";
import { json } from "@remix-run/node";
import { memo } from "react";
import { Form, Link, useLoaderData } from "@remix-run/react";
import { z } from "zod";
import { Pager } from "~/components/Pager";
import { PageSize } from "~/components/PageSize";
import { RefreshButton } from "~/components/collectors/RefreshButton";
import { Time } from "~/components/Time";
import { DestinationRows } from "~/components/federation/DestinationRows";
import { StateCards } from "~/components/federation/StateCards";
import { StateHistoryChart } from "~/components/federation/StateHistoryChart";
import { STATE_ORDER, STATE_TEXT } from "~/components/federation/states";
import { collectorStatus } from "~/services/collectors/framework.server";
import { countDestinations, latestSnapshotAt, listDestinations, stateHistory, type DestinationSort } from "~/services/federation/destinations.server";
import { requireAdmin } from "~/services/auth/guard.server";
import { selfCheckHistory } from "~/services/federation/self-check/run.server";
import { allowPageCache } from "~/services/page-cache/cache.server";
import { pageSizeFor } from "~/services/lists/page-size.server";
import { prefetchedLoader } from "~/components/prefetch-data";

export const meta: MetaFunction = () => [{ title: "Federation · Steward" }];

const HISTORY_MS = 7 * 86_400_000;

// Client-safe lists (the browser bundle gets no .server module values).
const SORTS = ["state", "destination", "failing_since", "interval", "next_retry", "last_attempt"] as const satisfies readonly DestinationSort[];
const STATES = ["healthy", "backing_off", "retry_due", "dead"] as const satisfies typeof STATE_ORDER;

// Built per request, not at the top level, so zod stays out of the page's browser scripts (decision 038).
const querySchema = () =>
  z.object({
    state: z.enum(STATES).optional().catch(undefined),
    q: z.string().trim().max(255).optional().catch(undefined),
    sort: z.enum(SORTS).catch("state"),
    dir: z.enum(["asc", "desc"]).catch("asc"),
    page: z.coerce.number().int().min(1).max(100_000).catch(1),
  });

export async function loader(args: LoaderFunctionArgs) {
  const { steward, session } = await requireAdmin(args);
  const params = new URL(args.request.url).searchParams;
  const q = querySchema().parse(Object.fromEntries(params));
  const now = Date.now();
  const db = steward.db;
  const pageSize = await pageSizeFor(db, session.userId, params.get("size"));
  const listQuery = { state: q.state, search: q.q || undefined, sort: q.sort, dir: q.dir, page: q.page, pageSize };
  // One pass over the table counts for the cards and for the search; the table page then comes from an index.
  const [[counts, list], history, asOf, [status], [selfCheck]] = await Promise.all([
    countDestinations(db, now, listQuery.search).then(async (c) => [c.all, await listDestinations(db, listQuery, now, c.matching)] as const),
    stateHistory(db, now - HISTORY_MS),
    latestSnapshotAt(db),
    collectorStatus(db, ["federation"]),
    selfCheckHistory(db, 1),
  ]);
  const lastRun = status?.lastRun;
  // Steward's database only: the rendered page may be served again until the data changes (decision 010).
  allowPageCache(args.context);
  return json({
    now,
    counts,
    // Only what the table shows (the loader data travels inside every HTML page).
    rows: list.rows.map((r) => ({ destination: r.destination, state: r.state, failingSince: r.failingSince, retryInterval: r.retryInterval, nextRetryAt: r.nextRetryAt })),
    total: list.total,
    history,
    asOf: asOf?.toISOString() ?? null,
    lastError: lastRun && lastRun.status === "failed" ? lastRun.error : null,
    selfCheck: selfCheck ? { status: selfCheck.status, at: selfCheck.at, failing: selfCheck.results.filter((r) => r.status === "fail").length } : null,
    query: { state: q.state ?? "", q: q.q ?? "", sort: q.sort, dir: q.dir },
    page: q.page,
    pageSize,
  });
}

const SORT_LABELS: Record<(typeof SORTS)[number], string> = {
  state: "Severity",
  destination: "Name",
  failing_since: "Failing since",
  interval: "Retry interval",
  next_retry: "Next retry",
  last_attempt: "Last failed attempt",
};

/** Takes the answer asked for while the pointer rested on a link here (decision 028). */
export const clientLoader = prefetchedLoader;

export default function FederationPageRoute() {
  return <FederationPage d={useLoaderData<typeof loader>()} />;
}

// Memoised on the loader data: when a navigation away starts, the router re-renders the page being left; with the
// same data nothing of it has to be drawn again while the next page's data is on its way (issue 18).
const FederationPage = memo(function FederationPage({ d }: { d: SerializeFrom<typeof loader> }) {
  const failing = d.counts.backing_off + d.counts.retry_due + d.counts.dead;
  return (
    <>
      <div style={{ display: "flex", justifyContent: "space-between", alignItems: "start", gap: "1rem", flexWrap: "wrap" }}>
        <div>
          <h1>Federation</h1>
          <p className="muted small">
            {d.asOf ? (
              <>
                Destinations as of <Time value={d.asOf} />; states are computed for now.
              </>
            ) : (
              "Not collected yet."
            )}{" "}
            <Link to="/federation/self-check">Self-check of our own server</Link>
            {d.selfCheck ? (
              <>
                {" "}
                (<span className={`badge ${d.selfCheck.status === "pass" ? "ok" : d.selfCheck.status === "warn" ? "warn" : "bad"}`}>{d.selfCheck.status}</span>
                {d.selfCheck.failing ? ` ${d.selfCheck.failing} failing` : ""}, <Time value={d.selfCheck.at} />)
              </>
            ) : null}
          </p>
        </div>
        <RefreshButton collector="federation" />
      </div>
      {d.lastError ? (
        <div className="alert warn" role="alert">
          The last collection failed: {d.lastError} The figures below are from {d.asOf ? "the last successful one" : "nothing yet"}.
        </div>
      ) : null}

      <StateCards counts={d.counts} active={d.query.state || undefined} />
      <p className="small">
        {failing === 0 ? "Every known destination is reachable." : `${failing.toLocaleString("en")} of ${(failing + d.counts.healthy).toLocaleString("en")} destinations are failing.`}
      </p>

      <section className="panel">
        <h2>Destinations per state, last 7 days</h2>
        <StateHistoryChart points={d.history} />
      </section>

      <Form method="get" className="toolbar" role="search">
        <div className="field">
          <label htmlFor="fed-q">Search</label>
          <input id="fed-q" type="search" name="q" defaultValue={d.query.q} placeholder="e.g. matrix.org" maxLength={255} />
        </div>
        <div className="field">
          <label htmlFor="fed-state">State</label>
          <select id="fed-state" name="state" defaultValue={d.query.state}>
            <option value="">All states</option>
            {STATE_ORDER.map((s) => (
              <option key={s} value={s}>
                {STATE_TEXT[s].label}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="fed-sort">Sort by</label>
          <select id="fed-sort" name="sort" defaultValue={d.query.sort}>
            {SORTS.map((s) => (
              <option key={s} value={s}>
                {SORT_LABELS[s]}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="fed-dir">Order</label>
          <select id="fed-dir" name="dir" defaultValue={d.query.dir}>
            <option value="asc">Ascending</option>
            <option value="desc">Descending</option>
          </select>
        </div>
        <button type="submit" className="secondary">
          Apply
        </button>
      </Form>
      <PageSize current={d.pageSize} />

      {d.rows.length === 0 ? (
        <p className="muted">{d.query.q || d.query.state ? "No destination matches this filter." : "No destinations known yet."}</p>
      ) : (
        <table data-testid="destinations">
          <thead>
            <tr>
              <th>Destination</th>
              <th>State</th>
              <th>Failing since</th>
              <th>Retry interval</th>
              <th>Next retry</th>
            </tr>
          </thead>
          <tbody>
            <DestinationRows rows={d.rows} now={d.now} />
          </tbody>
        </table>
      )}
      <Pager page={d.page} pageSize={d.pageSize} total={d.total} />
    </>
  );
});

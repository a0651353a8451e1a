/** Security posture: who lacks cross-signing, recovery, key backup, or has unverified sessions — and nudging them. */
import type { LoaderFunctionArgs, MetaFunction, SerializeFrom } from "@remix-run/node";
import { json } from "@remix-run/node";
import { memo } from "react";
import { Link, useLoaderData } from "@remix-run/react";
import { Pager } from "~/components/Pager";
import { PageSize } from "~/components/PageSize";
import { RefreshButton } from "~/components/collectors/RefreshButton";
import { Time } from "~/components/Time";
import { PostureCards } from "~/components/security/PostureCards";
import { PostureFilters } from "~/components/security/PostureFilters";
import { PostureHistoryChart } from "~/components/security/PostureHistoryChart";
import { PostureTable } from "~/components/security/PostureTable";
import { BulkSignOutLinks } from "~/components/security/BulkSignOutLinks";
import { collectorStatus } from "~/services/collectors/framework.server";
import { requireAdmin } from "~/services/auth/guard.server";
import { filterParams, parsePostureQuery } from "~/services/posture/query.server";
import { filterActionCounts, postureReportData } from "~/services/posture/report.server";
import { backupSourceText, scanPathOf } from "~/services/posture/scan-path";
import { allowPageCache } from "~/services/page-cache/cache.server";
import { bulkJobsUnavailableKnown } from "~/services/users/bulk/availability.server";
import { pageSizeFor } from "~/services/lists/page-size.server";
import { prefetchedLoader } from "~/components/prefetch-data";

export const meta: MetaFunction = () => [{ title: "Security · Steward" }];

export async function loader(args: LoaderFunctionArgs) {
  const { steward, session } = await requireAdmin(args);
  const db = steward.db;
  const params = new URL(args.request.url).searchParams;
  const parsed = parsePostureQuery(params);
  const { errors, form } = parsed;
  const query = { ...parsed.query, pageSize: await pageSizeFor(db, session.userId, params.get("size")) };
  const [{ scan, running, history, counts, list }, [status]] = await Promise.all([postureReportData(db, query, steward.database.kind), collectorStatus(db, ["posture"])]);
  // "Nudge everyone in this filter" goes only to users missing something (not fully secured, not deactivated);
  // "Sign out … of these N users" (bulk jobs, decision 020): how many users of the filter each would touch.
  const actions = scan ? await filterActionCounts(db, scan, query) : { nudgeable: 0, unverified: 0, stale: 0 };
  const nudgeable = actions.nudgeable;
  const signOut = { unverified: actions.unverified, stale: actions.stale };
  const lastRun = status?.lastRun;
  // Steward's database only: the rendered page may be served again until the data changes (decision 010).
  allowPageCache(args.context);
  return json(
    {
      scan: scan
        ? {
            id: scan.id,
            finishedAt: scan.finishedAt!.toISOString(),
            backupSource: scan.backupSource,
            keyQueryLimited: scan.keyQueryLimited,
            notes: scan.notes ?? [],
            staleDays: scan.staleDays,
          }
        : null,
      running: running ? { usersScanned: running.usersScanned, totalUsers: running.totalUsers, runs: running.runs, startedAt: running.startedAt.toISOString() } : null,
      lastError: lastRun?.status === "failed" ? lastRun.error : null,
      counts,
      rows: list.rows.map((r) => ({ ...r, scannedAt: r.scannedAt.toISOString() })),
      total: list.total,
      nudgeable,
      signOut,
      // Under MAS the bulk sign-outs are refused (availability.server.ts): say so here instead of linking to a refusal.
      bulkUnavailable: bulkJobsUnavailableKnown(steward.config),
      nothingSelected: params.get("nudge") === "none",
      history,
      form,
      errors,
      filter: filterParams(query).toString(),
      page: query.page,
      pageSize: query.pageSize,
    },
    { headers: { "Cache-Control": "no-store" } },
  );
}

/** Takes the answer asked for while the pointer rested on a link here (decision 028). */
export const clientLoader = prefetchedLoader;

export default function SecurityPageRoute() {
  return <SecurityPage d={useLoaderData<typeof loader>()} />;
}

// Memoised on the loader data: when a navigation away starts, the router re-renders the page being left; with the
// same data nothing of it has to be drawn again while the next page's data is on its way (issue 18).
const SecurityPage = memo(function SecurityPage({ d }: { d: SerializeFrom<typeof loader> }) {
  const exportQs = d.filter ? `?${d.filter}` : "";
  return (
    <>
      <div style={{ display: "flex", justifyContent: "space-between", alignItems: "start", gap: "1rem", flexWrap: "wrap" }}>
        <div>
          <h1>Security</h1>
          <p className="muted small">
            {d.scan ? (
              <>
                Latest scan <Time value={d.scan.finishedAt} />. Key backup: <span data-testid="backup-source">{backupSourceText(d.scan.backupSource, d.scan.notes)}</span>{" "}
                Sessions unseen for {d.scan.staleDays} days are stale.
                {scanPathOf(d.scan.notes) ? <span data-testid="scan-path"> {scanPathOf(d.scan.notes)}</span> : null}
              </>
            ) : (
              "No complete scan yet."
            )}
          </p>
        </div>
        <RefreshButton collector="posture" label="Scan now" />
      </div>
      {d.running ? (
        <div className="alert info" role="status">
          A scan is in progress: {d.running.usersScanned.toLocaleString("en")}
          {d.running.totalUsers ? ` of ${d.running.totalUsers.toLocaleString("en")}` : ""} users
          {d.running.runs > 1 ? ` (resumed ${d.running.runs - 1}×)` : ""}. The figures below are from the last complete scan.
        </div>
      ) : null}
      {d.lastError ? (
        <div className="alert warn" role="alert">
          The last scan failed: {d.lastError} It resumes where it stopped on the next run.
        </div>
      ) : null}
      {d.scan?.keyQueryLimited ? (
        <div className="alert warn" role="alert" data-testid="msc4263">
          This homeserver limits key queries to users who share a room with you (msc4263). Steward cannot see other users' cross-signing keys, so
          their cross-signing is shown as unknown — not missing. Scan with an admin token whose user shares rooms with everyone, or turn the
          experimental option off.
        </div>
      ) : null}
      {d.scan?.backupSource === "account_data" ? (
        <p className="small muted">
          Key backup is inferred from account data: a user who created a backup without secret storage leaves no trace there, so “unknown” means
          unknown. Set SYNAPSE_DATABASE_URL (read-only) for exact backup state.
        </p>
      ) : null}

      {d.counts ? <PostureCards users={d.counts.users} checks={d.counts.checks} linkBase={d.filter} /> : null}
      <PostureHistoryChart points={d.history} />

      <PostureFilters form={d.form} errors={d.errors} />
      <p className="small">
        <a href={`/security/export.csv${exportQs}`} download>
          Export CSV
        </a>{" "}
        · <a href={`/security/export.json${exportQs}`}>Export JSON</a> ·{" "}
        {d.nudgeable ? (
          <Link to={`/security/nudge?${d.filter ? `${d.filter}&` : ""}all=1`} data-testid="nudge-all">
            Nudge everyone in this filter who is missing something ({d.nudgeable.toLocaleString("en")})
          </Link>
        ) : (
          <span className="muted" data-testid="nudge-all">
            No one in this filter is missing anything to nudge about
          </span>
        )}
      </p>
      {d.bulkUnavailable ? (
        <p className="small muted" data-testid="bulk-unavailable">
          {d.bulkUnavailable}
        </p>
      ) : (
        <BulkSignOutLinks filter={d.filter} unverified={d.signOut.unverified} stale={d.signOut.stale} staleDays={d.scan?.staleDays ?? null} />
      )}
      <PageSize current={d.pageSize} />
      {d.nothingSelected ? (
        <div className="alert error" role="alert" data-testid="nudge-none">
          Select at least one user to nudge (tick the boxes in the table), or use “Nudge everyone in this filter”.
        </div>
      ) : null}
      <form id="nudge-selection" method="get" action="/security/nudge">
        {[...new URLSearchParams(d.filter)].map(([k, v], i) => (
          <input key={`${k}-${i}`} type="hidden" name={k} value={v} />
        ))}
        <button type="submit" className="secondary">
          Nudge selected users
        </button>
      </form>
      <PostureTable rows={d.rows} formId="nudge-selection" staleDays={d.scan?.staleDays} />
      <Pager page={d.page} pageSize={d.pageSize} total={d.total} />
    </>
  );
});

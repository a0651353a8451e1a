/**
 * /bulk: every bulk job (sign-outs from the security report, deactivations from the users list), newest first, each
 * linked to its own page. Without it a finished job could only be found again through the audit log.
 */
import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { json } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { Pager } from "~/components/Pager";
import { Time } from "~/components/Time";
import { requireAdmin } from "~/services/auth/guard.server";
import { listBulkJobs } from "~/services/users/bulk/view.server";
import { prefetchedLoader } from "~/components/prefetch-data";

const PAGE = 50;

export const meta: MetaFunction = () => [{ title: "Bulk jobs · Steward" }];

export async function loader(args: LoaderFunctionArgs) {
  const { steward } = await requireAdmin(args);
  const page = Math.max(1, Math.min(100_000, Math.floor(Number(new URL(args.request.url).searchParams.get("page"))) || 1));
  const { total, jobs } = await listBulkJobs(steward.db, { page, pageSize: PAGE });
  return json({ total, jobs, page }, { headers: { "Cache-Control": "no-store" } });
}

/** Takes the answer asked for while the pointer rested on a link here (decision 028). */
export const clientLoader = prefetchedLoader;

export default function BulkJobsPage() {
  const d = useLoaderData<typeof loader>();
  return (
    <>
      <h1>Bulk jobs</h1>
      <p className="muted small">
        Sign-outs started from the <Link to="/security">security report</Link> and deactivations started from the{" "}
        <Link to="/users">users list</Link>, newest first.
      </p>
      {d.total === 0 ? (
        <p data-testid="bulk-jobs-empty">No bulk job has been started yet.</p>
      ) : (
        <table data-testid="bulk-jobs">
          <thead>
            <tr>
              <th scope="col">Job</th>
              <th scope="col">Confirmed by</th>
              <th scope="col">Started</th>
              <th scope="col">Status</th>
              <th scope="col">Progress</th>
            </tr>
          </thead>
          <tbody>
            {d.jobs.map((j) => (
              <tr key={j.id} data-job={j.id}>
                <td>
                  <Link to={`/bulk/${j.id}`}>{j.heading}</Link>
                </td>
                <td className="mono small">{j.actor}</td>
                <td>
                  <Time value={j.createdAt} />
                </td>
                <td>
                  {j.statusText}
                  {j.finishedAt ? (
                    <>
                      {" "}
                      <Time value={j.finishedAt} />
                    </>
                  ) : null}
                  {j.error ? <div className="field-error">{j.error}</div> : null}
                </td>
                <td className="small">
                  {j.handled.toLocaleString("en")} of {j.total.toLocaleString("en")} {j.noun} handled
                  {j.failed ? `, ${j.failed.toLocaleString("en")} failed` : ""}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <Pager page={d.page} pageSize={PAGE} total={d.total} />
    </>
  );
}

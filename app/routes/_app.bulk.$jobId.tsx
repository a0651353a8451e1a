/**
 * /bulk/<id>: a bulk user job's progress and outcome — counts, the reason it stopped, every item with what happened
 * to it. While it runs the page reloads itself every few seconds (no JavaScript needed). A stopped job can be
 * resumed (POST, CSRF): it continues with what was not done, never repeating what was.
 */
import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { json, redirect } from "@remix-run/node";
import { Form, Link, useLoaderData, useSearchParams } from "@remix-run/react";
import { CsrfInput } from "~/components/CsrfInput";
import { Pager } from "~/components/Pager";
import { Time } from "~/components/Time";
import { BulkItemsTable } from "~/components/users/BulkItemsTable";
import { readForm, requireAdmin, requireCsrf } from "~/services/auth/guard.server";
import { recordAudit } from "~/services/audit/events.server";
import { checkedParam, isJobId } from "~/services/routing/params";
import { bulkJobHeading, JOB_STATUS_TEXT, type BulkKind } from "~/services/users/bulk/kinds";
import { bulkJobView, resumeBulkJob } from "~/services/users/bulk/view.server";
import { prefetchedLoader } from "~/components/prefetch-data";

const PAGE = 200;
const SHOW = ["all", "failed", "skipped", "done", "waiting"] as const;

export const meta: MetaFunction<typeof loader> = ({ data }) => [
  { title: `${data?.title ?? "Bulk job"} · Steward` },
  // Reloads itself while the job works, so progress shows without JavaScript.
  ...(data && (data.status === "running" || data.status === "queued") ? [{ httpEquiv: "refresh", content: "3" } as const] : []),
];

export async function loader(args: LoaderFunctionArgs) {
  const id = Number(checkedParam(args.params.jobId, isJobId, "job"));
  const { steward } = await requireAdmin(args);
  const params = new URL(args.request.url).searchParams;
  const show = (SHOW as readonly string[]).includes(params.get("show") ?? "") ? (params.get("show") as (typeof SHOW)[number]) : "all";
  const page = Math.max(1, Math.min(100_000, Number(params.get("page")) || 1));
  const v = await bulkJobView(steward.db, id, { page, pageSize: PAGE, show });
  if (!v) throw json({ error: "There is no such job." }, { status: 404 });
  const { job, counts } = v;
  const finished = counts.done + counts.skipped + counts.failed;
  return json(
    {
      id: job.id,
      title: bulkJobHeading(job.kind as BulkKind, { users: v.users, days: job.days }),
      kind: job.kind,
      status: job.status,
      statusText: JOB_STATUS_TEXT[job.status] ?? job.status,
      error: job.error,
      actor: job.actor,
      filterText: job.filterText,
      createdAt: job.createdAt.toISOString(),
      finishedAt: job.finishedAt?.toISOString() ?? null,
      runs: job.runs,
      total: job.total,
      finished,
      counts,
      rows: v.rows,
      rowsTotal: v.total,
      page,
      show,
    },
    { headers: { "Cache-Control": "no-store" } },
  );
}

export async function action(args: ActionFunctionArgs) {
  const id = Number(checkedParam(args.params.jobId, isJobId, "job"));
  const admin = await requireAdmin(args);
  const form = await readForm(args.request);
  requireCsrf(args.request, admin.session, form);
  if (form.get("intent") !== "resume") return json({ error: "Steward has no such action for a job." }, { status: 400 });
  // Only a stopped job resumes; its items not yet done are still waiting, so nothing done is done again.
  if (!(await resumeBulkJob(admin.steward.db, id, new Date()))) return json({ error: "Only a stopped job can be resumed." }, { status: 409 });
  await recordAudit(admin.steward.db, {
    actor: admin.session.userId,
    action: "user.bulk.resume",
    target: null,
    outcome: "ok",
    detail: { jobId: id, summary: `Resume bulk job ${id}` },
    requestId: admin.requestId,
  });
  admin.steward.bulkJobs?.kick();
  return redirect(`/bulk/${id}`);
}

/** Takes the answer asked for while the pointer rested on a link here (decision 028). */
export const clientLoader = prefetchedLoader;

export default function BulkJobPage() {
  const d = useLoaderData<typeof loader>();
  const [search] = useSearchParams();
  const pct = d.total ? Math.floor((d.finished / d.total) * 100) : 100;
  const link = (show: string) => {
    const p = new URLSearchParams(search);
    p.set("show", show);
    p.delete("page");
    return `?${p}`;
  };
  const noun = d.kind === "deactivate" ? "accounts" : "sessions";
  return (
    <>
      <p className="small">
        <Link to={d.kind === "deactivate" ? "/users" : "/security"}>← {d.kind === "deactivate" ? "Users" : "Security"}</Link> ·{" "}
        <Link to="/bulk">All bulk jobs</Link>
      </p>
      <h1>{d.title}</h1>
      <p className="muted small">
        Confirmed by <span className="mono">{d.actor}</span> <Time value={d.createdAt} />. From: {d.filterText}.
        {d.runs > 1 ? ` Resumed ${d.runs - 1}× after an interruption.` : ""}
      </p>
      <p data-testid="bulk-status" role="status">
        <strong>{d.statusText}</strong>
        {d.finishedAt ? (
          <>
            {" "}
            <Time value={d.finishedAt} />
          </>
        ) : null}
        : {d.finished.toLocaleString("en")} of {d.total.toLocaleString("en")} {noun} handled ({pct}%).
      </p>
      <progress max={d.total || 1} value={d.finished} style={{ width: "100%", maxWidth: 480 }} aria-label="Progress" />
      {d.error ? (
        <div className="alert error" role="alert" data-testid="bulk-error">
          {d.error}
          <Form method="post" style={{ marginTop: "0.5rem" }}>
            <CsrfInput />
            <input type="hidden" name="intent" value="resume" />
            <button type="submit">Resume the job</button> <span className="small muted">(once the account Steward acts with is an admin again)</span>
          </Form>
        </div>
      ) : null}
      <ul className="small" data-testid="bulk-counts">
        <li>
          <a href={link("done")}>{d.counts.done.toLocaleString("en")} done</a>
        </li>
        <li>
          <a href={link("skipped")}>{d.counts.skipped.toLocaleString("en")} left alone</a> (no longer applied when their turn came)
        </li>
        <li>
          <a href={link("failed")}>{d.counts.failed.toLocaleString("en")} failed</a>
        </li>
        <li>
          <a href={link("waiting")}>{(d.counts.pending + d.counts.acting).toLocaleString("en")} waiting</a>
        </li>
        <li>
          <a href={link("all")}>all</a>
        </li>
      </ul>
      {d.status === "done" && d.kind !== "deactivate" ? (
        <p className="small">
          The security report already reflects this: the users' sessions were checked again as the job went. <Link to="/security">Open the report</Link>
        </p>
      ) : null}
      <BulkItemsTable rows={d.rows} showSession={d.kind !== "deactivate"} />
      <Pager page={d.page} pageSize={PAGE} total={d.rowsTotal} />
    </>
  );
}

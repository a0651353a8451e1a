/**
 * /security/sign-out?kind=unverified|stale[&days=N]&<report filter>: the preview of a bulk sign-out from the
 * security report's current filter — every user and session it will end — and its one confirmation. The POST
 * (CSRF, a one-time form id) works the list out again from the same filter, refuses if it changed since the
 * preview, stores the job and sends the admin to its progress page; the job itself runs in the background.
 */
import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { json, redirect } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { z } from "zod";
import { CsrfInput } from "~/components/CsrfInput";
import { Pager } from "~/components/Pager";
import { BulkItemsTable } from "~/components/users/BulkItemsTable";
import { readForm, requireAdmin, requireCsrf, type AdminRequest } from "~/services/auth/guard.server";
import { filterParams, parsePostureQuery } from "~/services/posture/query.server";
import { latestCompleteScan } from "~/services/posture/report.server";
import { bulkJobsUnavailable } from "~/services/users/bulk/availability.server";
import { bulkConsequence, bulkTitle } from "~/services/users/bulk/kinds";
import { confirmationFormId, MAX_BULK_USERS, planSignOut, startConfirmedJob } from "~/services/users/bulk/plan.server";
import { newFormId } from "~/services/users/actions/run.server";
import { filterInWords } from "~/services/users/bulk/words.server";

export const meta: MetaFunction<typeof loader> = ({ data }) => [{ title: `${data?.title ?? "Sign out sessions"} · Steward` }];

const PREVIEW_PAGE = 200;
// Built per request, not at the top level, so zod stays out of the page's browser scripts (decision 038).
const schemas = () => ({ Kind: z.enum(["unverified", "stale"]), Days: z.coerce.number().int().min(1).max(3650) });

async function plan(admin: AdminRequest, params: URLSearchParams) {
  const { Kind, Days } = schemas();
  const kind = Kind.safeParse(params.get("kind") ?? "");
  if (!kind.success) throw json({ error: "Say which sessions to sign out: unverified ones, or those unseen for some days." }, { status: 400 });
  const { query } = parsePostureQuery(params);
  // Unseen for how long: the link passes the report's own threshold (the latest scan's); a typed one is allowed.
  const scanDays = (await latestCompleteScan(admin.steward.db))?.staleDays ?? 30;
  const typed = Days.safeParse(params.get("days") || scanDays);
  // A mistyped number is said beside the field; the list is then the report's own threshold's.
  const daysError = typed.success ? null : "Enter a whole number of days from 1 to 3650.";
  const days = typed.success ? typed : { data: scanDays };
  const jobKind = kind.data === "unverified" ? ("sign-out-unverified" as const) : ("sign-out-stale" as const);
  const p = await planSignOut(admin.steward.db, {
    kind: jobKind,
    filter: query,
    days: days.data,
    now: Date.now(),
    actor: { userId: admin.session.userId, deviceId: admin.session.deviceId },
  });
  return { kind: kind.data, jobKind, days: jobKind === "sign-out-stale" ? days.data : null, daysTyped: params.get("days") ?? String(days.data), daysError, filter: filterParams(query), filterText: filterInWords(query), plan: p };
}

export async function loader(args: LoaderFunctionArgs) {
  const admin = await requireAdmin(args);
  const unavailable = await bulkJobsUnavailable(admin);
  if (unavailable) throw json({ error: unavailable }, { status: 409 });
  const params = new URL(args.request.url).searchParams;
  const c = await plan(admin, params);
  const page = Math.max(1, Math.min(100_000, Number(params.get("page")) || 1));
  const tooMany = c.plan.users > MAX_BULK_USERS;
  return json(
    {
      kind: c.kind,
      days: c.days,
      daysTyped: c.daysTyped,
      daysError: c.kind === "stale" ? c.daysError : null,
      title: bulkTitle(c.jobKind, { users: c.plan.users, days: c.days }),
      consequence: bulkConsequence(c.jobKind, { users: c.plan.users, devices: c.plan.items.length, days: c.days }),
      filterText: c.filterText,
      filter: c.filter.toString(),
      noScan: c.plan.scanId === null,
      tooMany,
      ownSessionLeftOut: c.plan.ownSessionLeftOut,
      total: c.plan.items.length,
      users: c.plan.users,
      rows: c.plan.items.slice((page - 1) * PREVIEW_PAGE, page * PREVIEW_PAGE),
      page,
      pageSize: PREVIEW_PAGE,
      formId: newFormId(),
    },
    { headers: { "Cache-Control": "no-store" } },
  );
}

type ActionData = { error: string; jobId?: number | null };

export async function action(args: ActionFunctionArgs) {
  const admin = await requireAdmin(args);
  const form = await readForm(args.request);
  requireCsrf(args.request, admin.session, form);
  const unavailable = await bulkJobsUnavailable(admin);
  if (unavailable) return json({ error: unavailable }, { status: 409 });
  const id = await confirmationFormId(admin.steward.db, form);
  if (!id.ok) return json<ActionData>({ error: id.error, jobId: id.jobId }, { status: id.status });
  // The list is worked out again from the filter in the page's address, never taken from the form.
  const c = await plan(admin, new URL(args.request.url).searchParams);
  if (c.daysError) return json<ActionData>({ error: c.daysError }, { status: 400 });
  if (c.plan.users > MAX_BULK_USERS) return json<ActionData>({ error: `More than ${MAX_BULK_USERS.toLocaleString("en")} users: narrow the filter.` }, { status: 400 });
  const r = await startConfirmedJob(admin.steward.db, form, {
    kind: c.jobKind,
    actor: admin.session.userId,
    formId: id.formId,
    days: c.days,
    filterText: c.filterText,
    items: c.plan.items,
    noun: "sessions",
    why: "after a new scan",
  });
  if (!r.ok) return json<ActionData>({ error: r.error, jobId: r.jobId }, { status: r.status });
  admin.steward.bulkJobs?.kick();
  return redirect(`/bulk/${r.jobId}`);
}

export default function BulkSignOutPreview() {
  const d = useLoaderData<typeof loader>();
  const a = useActionData<typeof action>() as ActionData | undefined;
  const busy = useNavigation().state === "submitting";
  const back = `/security${d.filter ? `?${d.filter}` : ""}`;
  const self = `/security/sign-out?${new URLSearchParams([...new URLSearchParams(d.filter), ["kind", d.kind], ...(d.days !== null ? [["days", String(d.days)]] : [])])}`;
  return (
    <>
      <p className="small">
        <Link to={back}>← Security</Link>
      </p>
      <h1>{d.title}</h1>
      <p className="muted small" data-testid="bulk-filter">
        From the security report: {d.filterText}.
      </p>
      {d.kind === "stale" ? (
        <Form method="get" className="toolbar" aria-label="Change how long unseen">
          {[...new URLSearchParams(d.filter)].map(([k, v], i) => (
            <input key={`${k}-${i}`} type="hidden" name={k} value={v} />
          ))}
          <input type="hidden" name="kind" value="stale" />
          <div className="field">
            <label htmlFor="days">Unseen for more than … days</label>
            <input
              id="days"
              name="days"
              type="text"
              inputMode="numeric"
              size={6}
              defaultValue={d.daysTyped}
              aria-invalid={d.daysError ? true : undefined}
              aria-describedby={d.daysError ? "days-error" : undefined}
            />
            {d.daysError ? (
              <div id="days-error" className="field-error" role="alert">
                {d.daysError}
              </div>
            ) : null}
          </div>
          <button type="submit" className="secondary">
            Update the list
          </button>
        </Form>
      ) : null}
      {a?.error ? (
        <div className="alert error" role="alert" data-testid="action-error">
          {a.error} {a.jobId ? <Link to={`/bulk/${a.jobId}`}>Open the job</Link> : null}
        </div>
      ) : null}
      {d.noScan ? (
        <div className="alert error" role="alert" data-testid="refusal">
          There is no complete security scan yet, so there is no list to act on. Run a scan first.
        </div>
      ) : d.tooMany ? (
        <div className="alert error" role="alert" data-testid="refusal">
          This filter holds more than {d.users.toLocaleString("en")} users; one job takes at most 50,000. Narrow the filter.
        </div>
      ) : !d.total ? (
        <div className="alert info" role="status" data-testid="refusal">
          No session in this filter is {d.kind === "unverified" ? "unverified" : `unseen for more than ${d.days} days`}: there is nothing to sign out.
        </div>
      ) : (
        <section className="panel">
          <p data-testid="consequence">{d.consequence}</p>
          {d.ownSessionLeftOut ? <p className="small muted">The session Steward itself uses is left out.</p> : null}
          <Form method="post" action={self} noValidate>
            <CsrfInput />
            <input type="hidden" name="formId" value={d.formId} />
            <input type="hidden" name="expected" value={d.total} />
            <button type="submit" className="danger" disabled={busy} data-testid="confirm-bulk">
              {busy ? "Starting…" : `Yes: sign out these ${d.total.toLocaleString("en")} sessions`}
            </button>{" "}
            <Link to={back}>Cancel</Link>
          </Form>
          <BulkItemsTable rows={d.rows} showSession />
          <Pager page={d.page} pageSize={d.pageSize} total={d.total} />
        </section>
      )}
    </>
  );
}

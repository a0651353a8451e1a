/**
 * /users/deactivate?filter=…&days=…&q=…[&created=N]: the preview of a bulk deactivation from the users page's
 * current filter — every account it will deactivate, and who is left out (the admin's own account, other server
 * admins) — and its one confirmation. The POST (CSRF, one-time form id) works the list out again from the address,
 * refuses if it changed since the preview, stores the job and opens its progress page.
 */
import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { json, redirect } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { z } from "zod";
import { CsrfInput } from "~/components/CsrfInput";
import { Pager } from "~/components/Pager";
import { BulkItemsTable } from "~/components/users/BulkItemsTable";
import { readForm, requireAdmin, requireCsrf, type AdminRequest } from "~/services/auth/guard.server";
import { FILTER_LABELS, USER_FILTERS } from "~/services/users/filters";
import { bulkJobsUnavailable } from "~/services/users/bulk/availability.server";
import { bulkConsequence, bulkTitle } from "~/services/users/bulk/kinds";
import { planDeactivate } from "~/services/users/bulk/deactivate-plan.server";
import { confirmationFormId, MAX_BULK_USERS, startConfirmedJob } from "~/services/users/bulk/plan.server";
import { newFormId } from "~/services/users/actions/run.server";

export const meta: MetaFunction<typeof loader> = ({ data }) => [{ title: `${data?.title ?? "Deactivate accounts"} · Steward` }];

const PREVIEW_PAGE = 200;
// Built per request, not at the top level, so zod stays out of the page's browser scripts (decision 038).
const schemas = () => ({
  Query: z.object({
    filter: z.enum(USER_FILTERS).catch("all"),
    days: z.coerce.number().int().min(1).max(3650).catch(30),
    q: z.string().trim().max(200).catch(""),
  }),
  Created: z.coerce.number().int().min(1).max(36500),
});

function read(params: URLSearchParams) {
  const { Query, Created } = schemas();
  const q = Query.parse({ filter: params.get("filter") ?? undefined, days: params.get("days") || undefined, q: params.get("q") ?? "" });
  const rawCreated = (params.get("created") ?? "").trim();
  const created = rawCreated ? Created.safeParse(rawCreated) : null;
  const createdError = created && !created.success ? "Enter a whole number of days from 1 to 36500." : null;
  const createdDays = created?.success ? created.data : undefined;
  const parts = [FILTER_LABELS[q.filter].replace(" N ", ` ${q.days} `)];
  if (q.q) parts.push(`matching “${q.q}”`);
  if (createdDays) parts.push(`created more than ${createdDays} days ago`);
  return { ...q, rawCreated, createdDays, createdError, filterText: parts.join(", ") };
}

async function plan(admin: AdminRequest, params: URLSearchParams) {
  const r = read(params);
  const p = await planDeactivate(admin.steward.db, { filter: r.filter, days: r.days, search: r.q || undefined, createdDays: r.createdDays }, { now: new Date(), actor: admin.session.userId });
  return { ...r, plan: p };
}

export async function loader(args: LoaderFunctionArgs) {
  const admin = await requireAdmin(args);
  const unavailable = await bulkJobsUnavailable(admin);
  if (unavailable) throw json({ error: unavailable }, { status: 409 });
  const params = new URL(args.request.url).searchParams;
  const c = await plan(admin, params);
  const page = Math.max(1, Math.min(100_000, Number(params.get("page")) || 1));
  const users = c.plan.items.length;
  return json(
    {
      title: bulkTitle("deactivate", { users }),
      consequence: bulkConsequence("deactivate", { users, devices: 0 }),
      filterText: c.filterText,
      query: { filter: c.filter, days: String(c.days), q: c.q, created: c.rawCreated },
      createdError: c.createdError,
      leftOutSelf: c.plan.leftOutSelf,
      leftOutAdmins: c.plan.leftOutAdmins,
      tooMany: users > MAX_BULK_USERS,
      total: users,
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
  const c = await plan(admin, new URL(args.request.url).searchParams);
  if (c.createdError) return json<ActionData>({ error: c.createdError }, { status: 400 });
  if (c.plan.items.length > MAX_BULK_USERS) return json<ActionData>({ error: `More than ${MAX_BULK_USERS.toLocaleString("en")} accounts: narrow the filter.` }, { status: 400 });
  const r = await startConfirmedJob(admin.steward.db, form, { kind: "deactivate", actor: admin.session.userId, formId: id.formId, days: null, filterText: c.filterText, items: c.plan.items, noun: "accounts" });
  if (!r.ok) return json<ActionData>({ error: r.error, jobId: r.jobId }, { status: r.status });
  admin.steward.bulkJobs?.kick();
  return redirect(`/bulk/${r.jobId}`);
}

export default function BulkDeactivatePreview() {
  const d = useLoaderData<typeof loader>();
  const a = useActionData<typeof action>() as ActionData | undefined;
  const busy = useNavigation().state === "submitting";
  const back = `/users?${new URLSearchParams({ filter: d.query.filter, days: d.query.days, ...(d.query.q ? { q: d.query.q } : {}) })}`;
  const self = `/users/deactivate?${new URLSearchParams({ filter: d.query.filter, days: d.query.days, q: d.query.q, created: d.query.created })}`;
  return (
    <>
      <p className="small">
        <Link to={back}>← Users</Link>
      </p>
      <h1>{d.title}</h1>
      <p className="muted small" data-testid="bulk-filter">
        From the users list: {d.filterText}.
      </p>
      <Form method="get" className="toolbar" aria-label="Narrow the list">
        <input type="hidden" name="filter" value={d.query.filter} />
        <input type="hidden" name="days" value={d.query.days} />
        <input type="hidden" name="q" value={d.query.q} />
        <div className="field">
          <label htmlFor="created">Only accounts created more than … days ago</label>
          <input id="created" name="created" type="text" inputMode="numeric" size={6} defaultValue={d.query.created} aria-invalid={d.createdError ? true : undefined} aria-describedby={d.createdError ? "created-error" : undefined} />
          {d.createdError ? (
            <div id="created-error" className="field-error" role="alert">
              {d.createdError}
            </div>
          ) : null}
        </div>
        <button type="submit" className="secondary">
          Update the list
        </button>
      </Form>
      <p className="small" data-testid="left-out">
        Never included: {d.leftOutSelf ? "your own account (in this filter), " : "your own account, "}
        {d.leftOutAdmins ? `${d.leftOutAdmins.toLocaleString("en")} server admin${d.leftOutAdmins === 1 ? "" : "s"} in this filter` : "server admins"}, and
        accounts already deactivated.
      </p>
      {a?.error ? (
        <div className="alert error" role="alert" data-testid="action-error">
          {a.error} {a.jobId ? <Link to={`/bulk/${a.jobId}`}>Open the job</Link> : null}
        </div>
      ) : null}
      {d.tooMany ? (
        <div className="alert error" role="alert" data-testid="refusal">
          More than 50,000 accounts: narrow the filter.
        </div>
      ) : !d.total ? (
        <div className="alert info" role="status" data-testid="refusal">
          No account in this filter can be deactivated: there is nothing to do.
        </div>
      ) : (
        <section className="panel">
          <p data-testid="consequence">{d.consequence}</p>
          <Form method="post" action={self} noValidate>
            <CsrfInput />
            <input type="hidden" name="formId" value={d.formId} />
            <input type="hidden" name="expected" value={d.total} />
            <button type="submit" className="danger" disabled={busy} data-testid="confirm-bulk">
              {busy ? "Starting…" : `Yes: deactivate these ${d.total.toLocaleString("en")} accounts`}
            </button>{" "}
            <Link to={back}>Cancel</Link>
          </Form>
          <BulkItemsTable rows={d.rows} showSession={false} />
          <Pager page={d.page} pageSize={d.pageSize} total={d.total} />
        </section>
      )}
    </>
  );
}

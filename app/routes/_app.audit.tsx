/** The audit log: every sign-in and mutating action, newest first, paged, each as a sentence (issue 14, item 11). */
import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { json } from "@remix-run/node";
import { Form, useLoaderData } from "@remix-run/react";
import { z } from "zod";
import { Pager } from "~/components/Pager";
import { AuditTable } from "~/components/audit/AuditTable";
import { auditActions, listAudit } from "~/services/audit/events.server";
import { AUDIT_ACTION_LABELS, describeAuditPage } from "~/services/audit/describe.server";
import { requireAdmin } from "~/services/auth/guard.server";
import { prefetchedLoader } from "~/components/prefetch-data";

export const meta: MetaFunction = () => [{ title: "Audit · Steward" }];

// Built per request, not at the top level, so zod stays out of the page's browser scripts (decision 038).
const querySchema = () =>
  z.object({
    page: z.coerce.number().int().min(1).max(100_000).catch(1),
    action: z.string().trim().max(100).optional().catch(undefined),
    actor: z.string().trim().max(300).optional().catch(undefined),
  });

export async function loader(args: LoaderFunctionArgs) {
  const { steward } = await requireAdmin(args);
  const q = querySchema().parse(Object.fromEntries(new URL(args.request.url).searchParams));
  const [result, present] = await Promise.all([
    listAudit(steward.db, { page: q.page, pageSize: 50, action: q.action || undefined, actor: q.actor || undefined }),
    auditActions(steward.db),
  ]);
  const lines = await describeAuditPage(steward.db, result.rows);
  // The filter offers the known actions and any other present in the log, each by its name for people.
  const actions = [...new Set([...Object.keys(AUDIT_ACTION_LABELS), ...present])].map((a) => ({
    value: a,
    label: AUDIT_ACTION_LABELS[a] ?? a.replace(/[._-]+/g, " "),
  }));
  return json({ lines, total: result.total, page: result.page, pageSize: result.pageSize, actions, filter: { action: q.action ?? "", actor: q.actor ?? "" } });
}

/** Takes the answer asked for while the pointer rested on a link here (decision 028). */
export const clientLoader = prefetchedLoader;

export default function AuditPage() {
  const data = useLoaderData<typeof loader>();
  return (
    <>
      <h1>Audit log</h1>
      <Form method="get" className="toolbar">
        <div className="field">
          <label htmlFor="audit-action">Action</label>
          <select id="audit-action" name="action" defaultValue={data.filter.action}>
            <option value="">Every action</option>
            {data.actions.map((a) => (
              <option key={a.value} value={a.value}>
                {a.label}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="audit-actor">Who (user ID)</label>
          <input id="audit-actor" type="search" name="actor" defaultValue={data.filter.actor} placeholder="@admin:example.org" />
        </div>
        <button type="submit" className="secondary">
          Filter
        </button>
      </Form>
      {data.lines.length === 0 && data.total === 0 ? (
        <p className="muted">No audit entries{data.filter.action || data.filter.actor ? " match this filter" : " yet"}.</p>
      ) : data.lines.length ? (
        <AuditTable lines={data.lines} />
      ) : null}
      <Pager page={data.page} pageSize={data.pageSize} total={data.total} order="newest-first" />
    </>
  );
}

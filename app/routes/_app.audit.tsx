/** The audit log: every sign-in and mutating action, newest first, paged. */
import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { json } from "@remix-run/node";
import { Form, useLoaderData } from "@remix-run/react";
import { z } from "zod";
import { Pager } from "~/components/Pager";
import { Time } from "~/components/Time";
import { listAudit } from "~/services/audit/events.server";
import { requireAdmin } from "~/services/auth/guard.server";

export const meta: MetaFunction = () => [{ title: "Audit · Steward" }];

const Query = z.object({
  page: z.coerce.number().int().min(1).max(100_000).catch(1),
  action: z.string().trim().max(100).optional().catch(undefined),
  actor: z.string().trim().max(300).optional().catch(undefined),
});

export async function loader(args: LoaderFunctionArgs) {
  const { steward } = await requireAdmin(args);
  const q = Query.parse(Object.fromEntries(new URL(args.request.url).searchParams));
  const result = await listAudit(steward.db, { page: q.page, pageSize: 50, action: q.action || undefined, actor: q.actor || undefined });
  return json({ ...result, rows: result.rows.map((r) => ({ ...r, at: r.at.toISOString() })), filter: { action: q.action ?? "", actor: q.actor ?? "" } });
}

const OUTCOME_BADGE: Record<string, string> = { ok: "ok", error: "bad", refused: "warn", pending: "pending" };

/**
 * A `pending` entry was written before its action reached the homeserver (decision 009) and is settled in place to
 * ok or error; one that stays pending is an action still running or one a crash interrupted, which the next repair
 * (start-up, the token list, the tokens collector, the next issue) settles. Said in words, not only in a colour.
 */
const PENDING_NOTE = "In progress, or interrupted and awaiting repair: Steward settles it to ok or error once it knows the outcome.";

export default function AuditPage() {
  const data = useLoaderData<typeof loader>();
  return (
    <>
      <h1>Audit log</h1>
      <Form method="get" className="toolbar">
        <div className="field">
          <label htmlFor="audit-action">Action</label>
          <input id="audit-action" type="search" name="action" defaultValue={data.filter.action} placeholder="e.g. token.create" />
        </div>
        <div className="field">
          <label htmlFor="audit-actor">Actor</label>
          <input id="audit-actor" type="search" name="actor" defaultValue={data.filter.actor} placeholder="@admin:example.org" />
        </div>
        <button type="submit" className="secondary">
          Filter
        </button>
      </Form>
      {data.rows.length === 0 ? (
        <p className="muted">No audit entries{data.filter.action || data.filter.actor ? " match this filter" : " yet"}.</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th>When</th>
              <th>Actor</th>
              <th>Action</th>
              <th>Target</th>
              <th>Outcome</th>
              <th>Detail</th>
            </tr>
          </thead>
          <tbody>
            {data.rows.map((r) => (
              <tr key={r.id}>
                <td>
                  <Time value={r.at} />
                </td>
                <td className="mono">{r.actor}</td>
                <td className="mono">{r.action}</td>
                <td className="mono">{r.target ?? ""}</td>
                <td>
                  <span className={`badge ${OUTCOME_BADGE[r.outcome] ?? ""}`} title={r.outcome === "pending" ? PENDING_NOTE : undefined}>
                    {r.outcome}
                  </span>
                  {r.outcome === "pending" ? <div className="muted small">in progress or awaiting repair</div> : null}
                </td>
                <td className="mono small">{r.detail ? JSON.stringify(r.detail) : ""}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <Pager page={data.page} pageSize={data.pageSize} total={data.total} />
    </>
  );
}

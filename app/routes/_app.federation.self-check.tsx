/** Self-check of our own server's discovery and federation, with history; re-run on demand. */
import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { json } from "@remix-run/node";
import { Form, Link, useLoaderData, useNavigation } from "@remix-run/react";
import { CsrfInput } from "~/components/CsrfInput";
import { Time } from "~/components/Time";
import { CheckList, StatusBadge } from "~/components/federation/CheckList";
import { recordAudit } from "~/services/audit/events.server";
import { readForm, requireAdmin, requireCsrf } from "~/services/auth/guard.server";
import { CHECK_IDS, CHECK_TITLES } from "~/services/federation/self-check/checks.server";
import { defaultSelfCheckEnv, runSelfCheck, saveSelfCheck, selfCheckHistory, serverNameOf } from "~/services/federation/self-check/run.server";

export const meta: MetaFunction = () => [{ title: "Self-check · Federation · Steward" }];

export async function loader(args: LoaderFunctionArgs) {
  const { steward, session } = await requireAdmin(args);
  const history = await selfCheckHistory(steward.db, 20);
  return json({ serverName: serverNameOf(session.userId), latest: history[0] ?? null, history, checks: CHECK_IDS.map((id) => ({ id, title: CHECK_TITLES[id] })) });
}

export async function action(args: ActionFunctionArgs) {
  const admin = await requireAdmin(args);
  const form = await readForm(args.request);
  requireCsrf(args.request, admin.session, form);
  const serverName = serverNameOf(admin.session.userId);
  // Every failure inside is a result; only a database failure can throw here, and that is shown as an error page.
  const report = await runSelfCheck(defaultSelfCheckEnv(serverName, admin.steward.config.selfCheck, { homeserverUrl: admin.session.homeserverUrl, authSetting: admin.steward.config.homeserverAuth }));
  const id = await saveSelfCheck(admin.steward.db, report, "manual");
  await recordAudit(admin.steward.db, {
    actor: admin.session.userId,
    action: "federation.self_check",
    target: serverName,
    outcome: "ok",
    detail: { runId: id, status: report.status, failing: report.results.filter((r) => r.status === "fail").map((r) => r.id) },
    requestId: admin.requestId,
  });
  return json({ ok: true, id });
}

export default function SelfCheckPage() {
  const d = useLoaderData<typeof loader>();
  const running = useNavigation().state === "submitting";
  return (
    <>
      <p className="small">
        <Link to="/federation">← Federation</Link>
      </p>
      <h1>Self-check of {d.serverName}</h1>
      <p className="muted small">
        Steward checks, from its own server, what other homeservers and clients see when they look for {d.serverName}: discovery, the
        federation and client APIs, the signing key and the TLS certificate. It runs on a schedule and when you ask.
      </p>
      <Form method="post" className="toolbar">
        <CsrfInput />
        <button type="submit" disabled={running} data-testid="run-self-check">
          {running ? "Checking…" : "Run the self-check now"}
        </button>
      </Form>
      {d.latest ? (
        <section className="panel">
          <h2>
            Latest: <StatusBadge status={d.latest.status} /> <Time value={d.latest.at} />
          </h2>
          <CheckList results={d.latest.results} />
        </section>
      ) : (
        <p className="muted">No self-check has run yet.</p>
      )}
      {d.history.length > 1 ? (
        <section className="panel">
          <h2>History</h2>
          <table data-testid="self-check-history">
            <thead>
              <tr>
                <th>When</th>
                <th>Overall</th>
                {d.checks.map((c) => (
                  <th key={c.id} className="small" title={c.title}>
                    {c.title.replace(/\s*\(.*\)$/, "")}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {d.history.map((h) => (
                <tr key={h.id}>
                  <td>
                    <Time value={h.at} />
                  </td>
                  <td>
                    <StatusBadge status={h.status} />
                  </td>
                  {d.checks.map((c) => {
                    const r = h.results.find((x) => x.id === c.id);
                    return <td key={c.id}>{r ? <span title={r.summary}><StatusBadge status={r.status} /></span> : "—"}</td>;
                  })}
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      ) : null}
    </>
  );
}

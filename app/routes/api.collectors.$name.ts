/**
 * "Refresh now": POST starts a collector run (CSRF-checked, audited); GET reports the collector's latest run for
 * the progress bar. A plain form post (no JavaScript) is redirected back to the page it came from.
 */
import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { json, redirect } from "@remix-run/node";
import { recordAudit } from "~/services/audit/events.server";
import { collectorStatus } from "~/services/collectors/framework.server";
import { collectorToken } from "~/services/collectors/token.server";
import { readForm, requireAdmin, requireCsrf } from "~/services/auth/guard.server";

export async function loader(args: LoaderFunctionArgs) {
  const { steward } = await requireAdmin(args);
  const def = steward.collectors?.list().find((c) => c.name === args.params.name);
  if (!def) throw json({ error: "No such collector." }, { status: 404 });
  const [status] = await collectorStatus(steward.db, [def.name]);
  const token = await collectorToken(steward.db, steward.config);
  const run = status.lastRun;
  return json(
    {
      collector: def.name,
      title: def.title,
      run: run
        ? {
            id: run.id,
            status: run.status,
            items: run.items,
            total: run.total,
            error: run.error,
            startedAt: run.startedAt.toISOString(),
            finishedAt: run.finishedAt?.toISOString() ?? null,
          }
        : null,
      lastSuccessAt: status.lastSuccess?.finishedAt?.toISOString() ?? null,
      waiting: token.ok ? null : token.reason,
    },
    { headers: { "Cache-Control": "no-store" } },
  );
}

export async function action(args: ActionFunctionArgs) {
  const admin = await requireAdmin(args);
  const form = await readForm(args.request);
  requireCsrf(args.request, admin.session, form);
  const def = admin.steward.collectors?.list().find((c) => c.name === args.params.name);
  if (!def) throw json({ error: "No such collector." }, { status: 404 });
  const wantsJson = (args.request.headers.get("accept") ?? "").includes("application/json");
  const back = (message?: string) => {
    const ref = args.request.headers.get("referer");
    let to = "/";
    try {
      const u = ref ? new URL(ref) : null;
      if (u && u.host === new URL(args.request.url).host) to = u.pathname + u.search;
    } catch {
      /* fall back to the overview */
    }
    if (message) to += (to.includes("?") ? "&" : "?") + "refresh=" + encodeURIComponent(message);
    return redirect(to);
  };
  const control = admin.steward.collectors;
  if (!control) {
    const error = "Collectors are not running in this process.";
    return wantsJson ? json({ error }, { status: 503 }) : back(error);
  }
  try {
    const runId = await control.trigger(def.name, admin.session.userId);
    await recordAudit(admin.steward.db, {
      actor: admin.session.userId,
      action: "collector.refresh",
      target: def.name,
      outcome: runId === null ? "refused" : "ok",
      detail: runId === null ? { reason: "already running" } : { runId },
      requestId: admin.requestId,
    });
    if (runId === null) {
      const error = `${def.title} is already being collected.`;
      return wantsJson ? json({ error, alreadyRunning: true }, { status: 409 }) : back(error);
    }
    return wantsJson ? json({ runId }, { status: 202 }) : back();
  } catch (e) {
    const error = (e as Error).message;
    return wantsJson ? json({ error }, { status: 503 }) : back(error);
  }
}

/**
 * Readiness: the database answers and Steward is not shutting down. The homeserver is reported too, but never
 * makes Steward unready: pages keep working from the database without it (observability/homeserver-readiness.server.ts).
 */
import type { LoaderFunctionArgs } from "@remix-run/node";
import { homeserverReadiness } from "~/services/observability/homeserver-readiness.server";

export async function loader({ context }: LoaderFunctionArgs) {
  const steward = context.steward;
  const checks: Record<string, string> = {};
  let ready = !steward.shuttingDown;
  if (steward.shuttingDown) checks.process = "shutting down";
  const [database, homeserver] = await Promise.all([
    steward.database.ping().then(
      () => "ok",
      (e: unknown) => `unavailable: ${(e as Error).message}`,
    ),
    homeserverReadiness(steward),
  ]);
  checks.database = database;
  if (database !== "ok") ready = false;
  checks.homeserver = homeserver;
  return new Response(JSON.stringify({ status: ready ? "ready" : "not ready", checks }), {
    status: ready ? 200 : 503,
    headers: { "Content-Type": "application/json", "Cache-Control": "no-store" },
  });
}

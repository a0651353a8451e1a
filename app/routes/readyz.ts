/** Readiness: the database answers and Steward is not shutting down. */
import type { LoaderFunctionArgs } from "@remix-run/node";

export async function loader({ context }: LoaderFunctionArgs) {
  const steward = context.steward;
  const checks: Record<string, string> = {};
  let ready = !steward.shuttingDown;
  if (steward.shuttingDown) checks.process = "shutting down";
  try {
    await steward.database.ping();
    checks.database = "ok";
  } catch (e) {
    ready = false;
    checks.database = `unavailable: ${(e as Error).message}`;
  }
  return new Response(JSON.stringify({ status: ready ? "ready" : "not ready", checks }), {
    status: ready ? 200 : 503,
    headers: { "Content-Type": "application/json", "Cache-Control": "no-store" },
  });
}

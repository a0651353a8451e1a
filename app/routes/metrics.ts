/** Prometheus metrics. When METRICS_TOKEN is set, the scraper must send it as a bearer token. */
import type { LoaderFunctionArgs } from "@remix-run/node";
import { safeEqual } from "~/services/auth/crypto.server";
import { renderGauges } from "~/services/observability/gauges.server";

export async function loader({ request, context }: LoaderFunctionArgs) {
  const steward = context.steward;
  const required = steward.config.metricsToken;
  if (required) {
    const header = request.headers.get("authorization") ?? "";
    const supplied = header.startsWith("Bearer ") ? header.slice(7).trim() : "";
    if (!supplied || !safeEqual(supplied, required)) {
      return new Response("Bearer token required.\n", { status: 401, headers: { "WWW-Authenticate": 'Bearer realm="metrics"', "Content-Type": "text/plain" } });
    }
  }
  const body = (await renderGauges(steward.db)) + (await steward.metrics.render());
  return new Response(body, { headers: { "Content-Type": "text/plain; version=0.0.4; charset=utf-8", "Cache-Control": "no-store" } });
}

/** Prometheus metrics. When METRICS_TOKEN is set, the scraper must send it as a bearer token. */
import type { LoaderFunctionArgs } from "@remix-run/node";
import { safeEqual } from "~/services/auth/crypto.server";
import { gaugeFamilies } from "~/services/observability/gauges.server";

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
  const { families, failures } = await gaugeFamilies(steward.db);
  const body = await steward.metrics.render(families, failures);
  return new Response(body, { headers: { "Content-Type": steward.metrics.contentType, "Cache-Control": "no-store" } });
}

/**
 * Starts an admin sign-in through the Matrix Authentication Service: registers Steward if needed, then redirects.
 * The sign-in page links here (GET): a form post could not be redirected to MAS under Steward's CSP `form-action 'self'`.
 */
import type { ActionFunctionArgs, AppLoadContext, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { json, redirect } from "@remix-run/node";
import { useActionData, useLoaderData } from "@remix-run/react";
import { MasSignInProblem } from "~/components/auth/MasSignIn";
import { databaseUnavailable } from "~/services/auth/guard.server";
import { MAS_BROWSER_COOKIE, startMasSignIn } from "~/services/auth/mas-sign-in.server";
import { detectAuthMode } from "~/services/auth/mode.server";
import { requestOriginAllowed } from "~/services/auth/origin.server";
import { hitRateLimit } from "~/services/auth/rate-limit.server";
import { MasError } from "~/homeserver/mas/oauth";
import { safeNext } from "./login";

export const meta: MetaFunction = () => [{ title: "Sign in · Steward" }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  // Remix runs the loader after a POST too (as a GET of the same URL, without `go`): then it only renders the
  // action's message, and must not start a second sign-in.
  const q = new URL(request.url).searchParams;
  if (request.method !== "GET" || q.get("go") !== "1") return json(null);
  return start(context, safeNext(q.get("next") ?? "/"));
}

export async function action({ request, context }: ActionFunctionArgs) {
  if (!requestOriginAllowed(request, context.proxyTrusted ?? false)) throw new Response("Cross-site request refused.", { status: 403 });
  const form = await request.formData().catch(() => new FormData());
  return start(context, safeNext(String(form.get("next") ?? "/")));
}

async function start(context: AppLoadContext, next: string) {
  const steward = context.steward;
  const { config } = steward;
  if (!config.homeserverUrl) return json({ message: "Steward has no HOMESERVER_URL, so it does not know which homeserver to sign in to." }, { status: 400 });
  const limit = await hitRateLimit(steward.db, `login:ip:${context.clientIp}`, 10, 5 * 60_000).catch((e) => {
    throw databaseUnavailable(context, e);
  });
  if (!limit.allowed) return json({ message: `Too many sign-in attempts from your address. Try again in ${Math.ceil(limit.retryAfterMs / 1000)} seconds.` }, { status: 429 });
  const mode = await detectAuthMode(steward.homeserver(config.homeserverUrl, undefined, { timeoutMs: 5000, maxRetries: 0 }), config.homeserverAuth, { cacheKey: config.homeserverUrl });
  if (mode.mode !== "mas" || !mode.mas) {
    return json({ message: mode.problem ?? "This homeserver does not delegate sign-in to an authentication service. Sign in with your Synapse account instead." }, { status: 400 });
  }
  try {
    const { url, browserValue } = await startMasSignIn({ db: steward.db, secret: config.sessionSecret, metadata: mode.mas, publicBaseUrl: config.publicBaseUrl, next, http: { timeoutMs: config.homeserverTimeoutMs } });
    const cookie = [`${MAS_BROWSER_COOKIE}=${browserValue}`, "Path=/auth/callback", "HttpOnly", "SameSite=Lax", "Max-Age=600", ...(context.secure ? ["Secure"] : [])].join("; ");
    return redirect(url, { headers: { "Set-Cookie": cookie } });
  } catch (e) {
    if (e instanceof MasError) {
      const hint =
        e.kind === "registration_refused"
          ? " MAS accepts a web client only on https with the callback on the same host as PUBLIC_BASE_URL; see README, “Running with MAS”."
          : "";
      steward.log.warn("mas sign-in could not start", { requestId: context.requestId, kind: e.kind, status: e.status });
      return json({ message: `${e.message}${hint}` }, { status: 502 });
    }
    throw databaseUnavailable(context, e);
  }
}

export default function MasSignInStart() {
  const posted = useActionData<typeof action>();
  const loaded = useLoaderData<typeof loader>();
  return <MasSignInProblem message={posted?.message ?? loaded?.message ?? "Start the sign-in from the sign-in page."} />;
}

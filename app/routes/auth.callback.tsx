/**
 * Where the Matrix Authentication Service sends the admin back: checks state (single use, same browser), exchanges
 * the code, admits only a token the homeserver treats as an admin's, and starts Steward's session.
 */
import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { json, redirect } from "@remix-run/node";
import { useLoaderData } from "@remix-run/react";
import { MasSignInProblem } from "~/components/auth/MasSignIn";
import { recordAudit } from "~/services/audit/events.server";
import { databaseUnavailable, sessionEndDeps, sessionSettings } from "~/services/auth/guard.server";
import { finishMasSignIn, MAS_BROWSER_COOKIE, revokeGrantTokens, saveMasGrant } from "~/services/auth/mas-sign-in.server";
import { createSession, parseCookies, SESSION_COOKIE, sessionCookie, storedSessionFor } from "~/services/auth/session.server";
import { replacePreviousSession } from "~/services/auth/session-end.server";
import { refreshStewardDevices } from "~/services/auth/steward-devices.server";
import { sha256 } from "~/services/auth/crypto.server";
import { signIn } from "~/services/auth/sign-in.server";
import { safeNext } from "./login";

export const meta: MetaFunction = () => [{ title: "Sign in · Steward" }];

const clearBrowserCookie = (secure: boolean) =>
  [`${MAS_BROWSER_COOKIE}=`, "Path=/auth/callback", "HttpOnly", "SameSite=Lax", "Max-Age=0", ...(secure ? ["Secure"] : [])].join("; ");

export async function loader(args: LoaderFunctionArgs) {
  const { request, context } = args;
  const steward = context.steward;
  const { config } = steward;
  const url = new URL(request.url);
  const q = url.searchParams;
  const browser = parseCookies(request.headers.get("cookie"))[MAS_BROWSER_COOKIE];
  const headers = { "Set-Cookie": clearBrowserCookie(context.secure), "Cache-Control": "no-store" };
  const refuse = async (reason: string, message: string, actor = "(authentication service)") => {
    await recordAudit(steward.db, { actor, action: "auth.sign_in", target: config.homeserverUrl ?? null, outcome: "refused", detail: { method: "mas", reason }, requestId: context.requestId });
    return json({ message }, { status: 400, headers });
  };
  let finished;
  try {
    finished = await finishMasSignIn(
      steward.db,
      config.sessionSecret,
      { state: q.get("state"), code: q.get("code"), error: q.get("error"), errorDescription: q.get("error_description") },
      browser,
      { http: { timeoutMs: config.homeserverTimeoutMs } },
    );
  } catch (e) {
    throw databaseUnavailable(context, e);
  }
  if (!finished.ok) return refuse(finished.reason, finished.message);
  if (!config.homeserverUrl) return refuse("no_homeserver", "Steward has no HOMESERVER_URL configured.");

  const homeserverUrl = config.homeserverUrl.replace(/\/+$/, "");
  const result = await signIn(steward.homeserver(homeserverUrl), { mode: "token", homeserverUrl, accessToken: finished.accessToken }, (token) => steward.homeserver(homeserverUrl, token));
  if (!result.ok) {
    // A token Steward will not use must not stay valid.
    await revokeGrantTokens(finished, { timeoutMs: config.homeserverTimeoutMs });
    const message =
      result.reason === "not_admin"
        ? result.message.replace("Only server admins can use Steward.", "The authentication service did not give Steward admin rights for this account (it is not allowed to request admin scopes). Only server admins can use Steward.")
        : result.message;
    return refuse(result.reason, message, result.reason === "not_admin" ? message.split(" ")[0] : undefined);
  }
  const settings = sessionSettings(steward);
  const previous = await storedSessionFor(steward.db, settings, parseCookies(request.headers.get("cookie"))[SESSION_COOKIE]).catch(() => null);
  let created;
  try {
    created = await createSession(steward.db, settings, {
      userId: result.userId,
      homeserverUrl,
      accessToken: finished.accessToken,
      deviceId: result.deviceId,
      tokenProvided: false,
      serverVersion: result.serverVersion,
    });
    await saveMasGrant(steward.db, config.sessionSecret, sha256(created.cookieValue), finished);
  } catch (e) {
    throw databaseUnavailable(context, e);
  }
  const idHash = sha256(created.cookieValue);
  // The session this browser held before ends here; its grant is revoked at the authentication service (decision 021).
  await replacePreviousSession(sessionEndDeps(steward), previous, { idHash, userId: result.userId, deviceId: result.deviceId, stewardDevice: false });
  await refreshStewardDevices(steward.db, steward.homeserver(homeserverUrl, finished.accessToken), { idHash, userId: result.userId, stewardDevices: null }, steward.log);
  steward.sessionChecks.set(idHash, Date.now());
  await recordAudit(steward.db, { actor: result.userId, action: "auth.sign_in", target: homeserverUrl, outcome: "ok", detail: { method: "mas" }, requestId: context.requestId });
  const out = new Headers();
  out.append("Set-Cookie", clearBrowserCookie(context.secure));
  out.append("Set-Cookie", sessionCookie(created.cookieValue, { secure: context.secure, maxAgeSeconds: settings.maxHours * 3600 }));
  return redirect(safeNext(finished.next), { headers: out });
}

export default function MasCallback() {
  const data = useLoaderData<typeof loader>();
  return <MasSignInProblem message={data.message} />;
}

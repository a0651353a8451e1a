/** Admin sign-in: Matrix password login or an access token; only server admins get in. */
import type { ActionFunctionArgs, HeadersFunction, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { json, redirect } from "@remix-run/node";
import { Form, useActionData, useLoaderData, useNavigation, useSearchParams } from "@remix-run/react";
import { z } from "zod";
import { Field } from "~/components/Field";
import { RouteHint, usePreloadAfterSignIn } from "~/components/preload";
import { recordAudit } from "~/services/audit/events.server";
import { databaseUnavailable, getAdminSession, sessionEndDeps, sessionSettings } from "~/services/auth/guard.server";
import { hitRateLimit, peekRateLimit } from "~/services/auth/rate-limit.server";
import { createSession, parseCookies, SESSION_COOKIE, sessionCookie, storedSessionFor, type StoredSession } from "~/services/auth/session.server";
import { onDevice, replacePreviousSession } from "~/services/auth/session-end.server";
import { deviceCookie, rememberedDevice, typedNameIsAccount, type RememberedDevice } from "~/services/auth/device-cookie.server";
import { refreshStewardDevices } from "~/services/auth/steward-devices.server";
import { sha256 } from "~/services/auth/crypto.server";
import { signIn } from "~/services/auth/sign-in.server";
import { checkLoginForm, loginFormToken } from "~/services/auth/login-csrf.server";
import { authModeSummary } from "~/services/auth/mode.server";
import { AuthModeNote } from "~/components/auth/AuthModeNote";
import { MasSignInButton } from "~/components/auth/MasSignIn";

export const meta: MetaFunction = () => [{ title: "Sign in · Steward" }];

/** Document responses take their headers from here: pass the action's (Retry-After) through. */
export const headers: HeadersFunction = ({ actionHeaders, loaderHeaders }) => {
  const h = new Headers(loaderHeaders);
  actionHeaders.forEach((v, k) => h.set(k, v));
  return h;
};

const REASONS: Record<string, string> = {
  expired: "Your homeserver session ended (the access token was revoked or expired). Sign in again.",
  signed_out: "You have signed out.",
  not_admin: "Your account is no longer a server admin on the homeserver, so your Steward session has ended.",
  mas_expired: "The authentication service ended your session (it was signed out, revoked or expired there). Sign in again.",
  mas_down: "Your session ended because the authentication service could not be reached to renew it. Sign in again when it is back.",
};

export async function loader(args: LoaderFunctionArgs) {
  if (await getAdminSession(args)) throw redirect("/");
  const { config } = args.context.steward;
  const csrf = loginFormToken(args.request, config.sessionSecret, args.context.secure);
  const headers = new Headers({ "Cache-Control": "no-store" });
  if (csrf.setCookie) headers.append("Set-Cookie", csrf.setCookie);
  const hs = args.context.steward.homeserver(config.homeserverUrl, undefined, { timeoutMs: 3000, maxRetries: 0 });
  const authMode = await authModeSummary(hs, config.homeserverAuth, config.homeserverUrl);
  return json({ homeserverUrl: config.homeserverUrl, formToken: csrf.formToken, authMode }, { headers });
}

/** Steward manages one homeserver (HOMESERVER_URL): the form has no address to change, and a posted one is ignored. */
// Built per request, not at the top level, so zod stays out of the page's browser scripts (decision 038).
const loginFormSchema = () =>
  z.object({
    mode: z.enum(["password", "token"]).default("password"),
    username: z.string().trim().max(300).optional().default(""),
    password: z.string().max(1000).optional().default(""),
    accessToken: z.string().trim().max(2000).optional().default(""),
    next: z.string().max(500).optional().default("/"),
  });

type Errors = Partial<Record<"username" | "password" | "accessToken" | "form", string>>;

const NEXT_BASE = "https://steward.invalid";

/**
 * Only same-site paths are followed after sign-in (no open redirect). Browsers drop tabs and newlines inside a
 * URL ("/\t/evil.example" becomes "//evil.example") and read "\" as "/", so the path is resolved the way a browser
 * would and kept only if it stays on this origin. The result is the URL-serialised form: plain ASCII, so it is
 * always a valid Location header.
 */
export function safeNext(next: string): string {
  if (!next.startsWith("/") || next.startsWith("//") || next.startsWith("/\\")) return "/";
  let u: URL;
  try {
    u = new URL(next, NEXT_BASE);
  } catch {
    return "/";
  }
  if (u.origin !== NEXT_BASE) return "/";
  const path = `${u.pathname}${u.search}${u.hash}`;
  return path.startsWith("/") && !path.startsWith("//") && !path.startsWith("/\\") ? path : "/";
}

export async function action(args: ActionFunctionArgs) {
  const { request, context } = args;
  const steward = context.steward;
  const values0 = { username: "", mode: "password" };
  // An address over the limit is answered before its form is read (the body is not parsed for it).
  const early = await peekRateLimit(steward.db, `login:ip:${context.clientIp}`, LOGIN_LIMIT, LOGIN_WINDOW_MS).catch((e) => {
    throw databaseUnavailable(context, e);
  });
  if (!early.allowed) return tooMany(early.retryAfterMs, values0);
  let form: Record<string, FormDataEntryValue>;
  try {
    form = Object.fromEntries(await request.formData());
  } catch {
    // Not a form at all (wrong content type, broken multipart): a 400, not a server error.
    return json({ errors: { form: "The sign-in form could not be read. Reload the page and try again." } as Errors, values: values0 }, { status: 400 });
  }
  if (!checkLoginForm(request, steward.config.sessionSecret, form.csrf)) {
    return json({ errors: { form: "This sign-in form has expired or did not come from Steward. Reload the page and try again." } as Errors, values: values0 }, { status: 403 });
  }
  const parsed = loginFormSchema().safeParse(form);
  const values = { username: String(form.username ?? ""), mode: String(form.mode ?? "password") };
  if (!parsed.success) {
    const errors: Errors = {};
    for (const issue of parsed.error.issues) errors[(issue.path[0] as keyof Errors) ?? "form"] ??= issue.message;
    return json({ errors, values }, { status: 400 });
  }
  const input = parsed.data;
  const errors: Errors = {};
  const homeserverUrl = steward.config.homeserverUrl;
  if (input.mode === "password") {
    if (!input.username) errors.username = "Enter your username (e.g. admin or @admin:example.org).";
    if (!input.password) errors.password = "Enter your password.";
  } else if (!input.accessToken) errors.accessToken = "Paste an admin access token.";
  if (Object.keys(errors).length) return json({ errors, values }, { status: 400 });

  // Held in the database so the limit holds across replicas.
  const limit = await hitRateLimit(steward.db, `login:ip:${context.clientIp}`, LOGIN_LIMIT, LOGIN_WINDOW_MS).catch((e) => {
    throw databaseUnavailable(context, e);
  });
  if (!limit.allowed) return tooMany(limit.retryAfterMs, values);

  const settings = sessionSettings(steward);
  const ends = sessionEndDeps(steward);
  // The session this browser already holds (expired or not) and the device its password sign-ins use: signing in
  // again reuses that device instead of adding one to the account (decision 021).
  const previous = await storedSessionFor(steward.db, settings, parseCookies(request.headers.get("cookie"))[SESSION_COOKIE]).catch((e) => {
    throw databaseUnavailable(context, e);
  });
  const reuse = input.mode === "password" ? reusableDevice(request, steward.config.sessionSecret, input.username, previous) : null;
  const hs = steward.homeserver(homeserverUrl);
  const attempt = async () => {
    const result = await signIn(
      hs,
      input.mode === "password"
        ? { mode: "password", homeserverUrl: homeserverUrl, username: input.username, password: input.password, deviceId: reuse?.deviceId }
        : { mode: "token", homeserverUrl: homeserverUrl, accessToken: input.accessToken },
      (token) => steward.homeserver(homeserverUrl, token),
    );
    if (!result.ok) return { ok: false as const, failed: result };
    const created = await createSession(steward.db, settings, {
      userId: result.userId,
      homeserverUrl: homeserverUrl,
      accessToken: result.accessToken,
      deviceId: result.deviceId,
      tokenProvided: result.tokenProvided,
      serverVersion: result.serverVersion,
    });
    return { ok: true as const, result, created };
  };
  // Reusing a device takes turns with the logout of an expired session on it (which would delete it under us).
  const outcome = reuse ? await onDevice(ends, reuse.userId, reuse.deviceId, attempt) : await attempt();
  if (!outcome.ok) {
    const failed = outcome.failed;
    const actor = input.mode === "password" ? input.username : "(access token)";
    await recordAudit(steward.db, { actor, action: "auth.sign_in", target: homeserverUrl, outcome: "refused", detail: { reason: failed.reason }, requestId: context.requestId });
    const e: Errors = {};
    // The homeserver is not a field of this form: its problems are the form's.
    e[failed.field && failed.field !== "homeserver" ? failed.field : "form"] = failed.message;
    return json({ errors: e, values }, { status: failed.reason === "rate_limited" ? 429 : 400 });
  }
  const { result, created } = outcome;
  const idHash = sha256(created.cookieValue);
  // Rotation: a session this browser already held ends here (an old or planted session id never outlives a
  // sign-in); its token is logged out unless the new session took over its device.
  await replacePreviousSession(ends, previous, { idHash, userId: result.userId, deviceId: result.deviceId, stewardDevice: input.mode === "password" });
  await refreshStewardDevices(steward.db, steward.homeserver(homeserverUrl, result.accessToken), { idHash, userId: result.userId, stewardDevices: null }, steward.log);
  // Just confirmed as an admin: the first pages need not ask the homeserver again.
  steward.sessionChecks.set(idHash, Date.now());
  await recordAudit(steward.db, {
    actor: result.userId,
    action: "auth.sign_in",
    target: homeserverUrl,
    outcome: "ok",
    detail: { method: input.mode, ...(input.mode === "password" && result.deviceId ? { device: result.deviceId, deviceReused: reuse?.deviceId === result.deviceId } : {}) },
    requestId: context.requestId,
  });
  const out = new Headers();
  out.append("Set-Cookie", sessionCookie(created.cookieValue, { secure: context.secure, maxAgeSeconds: settings.maxHours * 3600 }));
  // The browser remembers its device for the next password sign-in (a pasted token's device is the admin's own).
  if (input.mode === "password" && result.deviceId) out.append("Set-Cookie", deviceCookie(steward.config.sessionSecret, { userId: result.userId, deviceId: result.deviceId }, context.secure));
  return redirect(safeNext(input.next), { headers: out });
}

/**
 * The Steward device this browser's password sign-in should reuse: the one its device cookie names, else the one of
 * its previous session (a browser from before the cookie) — only for the same account, and only a device Steward
 * created (never a pasted token's).
 */
function reusableDevice(request: Request, secret: string, username: string, previous: StoredSession | null): RememberedDevice | null {
  const remembered = rememberedDevice(request, secret);
  if (remembered && typedNameIsAccount(username, remembered.userId)) return remembered;
  if (previous && !previous.tokenProvided && previous.deviceId && typedNameIsAccount(username, previous.userId)) return { userId: previous.userId, deviceId: previous.deviceId };
  return null;
}

const LOGIN_LIMIT = 10;
const LOGIN_WINDOW_MS = 5 * 60_000;

function tooMany(retryAfterMs: number, values: { username: string; mode: string }) {
  const wait = Math.max(1, Math.ceil(retryAfterMs / 1000));
  const words = wait >= 90 ? `${Math.ceil(wait / 60)} minutes` : `${wait} seconds`;
  return json({ errors: { form: `Too many sign-in attempts from your address. Try again in ${words}.` } as Errors, values }, { status: 429, headers: { "Retry-After": String(wait) } });
}

export default function Login() {
  const { homeserverUrl, formToken, authMode } = useLoaderData<typeof loader>();
  const actionData = useActionData<typeof action>();
  const [params] = useSearchParams();
  const navigation = useNavigation();
  const errors: Errors = actionData?.errors ?? {};
  const mode = actionData?.values?.mode === "token" || params.get("mode") === "token" ? "token" : "password";
  const reason = params.get("reason");
  // Only an in-app path (the action checks it again): anything else leads to the overview.
  const next = /^\/(?![/\\])/.test(params.get("next") ?? "") ? params.get("next")!.split(/[?#]/)[0] : "/";
  // The page signing in leads to (the overview and its chart code, by default) loads while the admin types.
  usePreloadAfterSignIn(next);
  return (
    <main className="login-page">
      <RouteHint path={next} />
      <div className="panel">
        <h1>Sign in to Steward</h1>
        <p className="muted small">Use your Matrix server-admin account. Steward keeps your homeserver token on the server, never in your browser.</p>
        {authMode ? <AuthModeNote {...authMode} /> : null}
        {reason && REASONS[reason] ? <div className="alert info">{REASONS[reason]}</div> : null}
        {errors.form ? (
          <div className="alert error" role="alert">
            {errors.form}
          </div>
        ) : null}
        {authMode?.mode === "mas" && mode === "password" ? (
          <MasSignInButton next={params.get("next") ?? "/"} />
        ) : (
          <>
            <Form method="post" noValidate>
              <input type="hidden" name="mode" value={mode} />
              <input type="hidden" name="next" value={params.get("next") ?? "/"} />
              <input type="hidden" name="csrf" value={formToken} />
              <p className="small" data-testid="login-homeserver">
                Homeserver: <strong>{homeserverUrl}</strong>
              </p>
              {mode === "password" ? (
                <>
                  <Field label="Username" name="username" type="text" defaultValue={actionData?.values?.username ?? ""} error={errors.username} autoComplete="username" hint="admin or @admin:example.org" required />
                  <Field label="Password" name="password" type="password" error={errors.password} autoComplete="current-password" required />
                </>
              ) : (
                <Field label="Access token" name="accessToken" type="password" error={errors.accessToken} autoComplete="off" hint="An access token of a server-admin account." required />
              )}
              <button type="submit" disabled={navigation.state === "submitting"}>
                {navigation.state === "submitting" ? "Signing in…" : "Sign in"}
              </button>
            </Form>
          </>
        )}
        <p className="small">
          {mode === "password" ? (
            <a href="/login?mode=token">Use an access token instead</a>
          ) : (
            <a href="/login">{authMode?.mode === "mas" ? "Sign in with the authentication service instead" : "Use a username and password instead"}</a>
          )}
        </p>
      </div>
    </main>
  );
}

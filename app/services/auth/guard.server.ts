/**
 * The checks every loader and action makes on the server: a valid admin session (else to /login), a CSRF token
 * on every mutation, and "sign in again" when the homeserver no longer accepts the session's token.
 */
import { redirect, type AppLoadContext } from "@remix-run/node";
import type { HomeserverClient } from "../../homeserver";
import { isHomeserverError } from "../../homeserver/errors";
import { safeEqual, unmaskToken } from "./crypto.server";
import { requestOriginAllowed } from "./origin.server";
import { refreshMasSession } from "./mas-sign-in.server";
import type { SessionEndDeps } from "./session-end.server";
import { refreshStewardDevices } from "./steward-devices.server";
import {
  clearSessionCookie,
  deleteSession,
  parseCookies,
  readSession,
  SESSION_COOKIE,
  type AdminSession,
  type SessionSettings,
} from "./session.server";

/**
 * The guard is the web edge of sign-in: it works on Remix's load context (whose `steward` the app context module
 * declares), not on that module, so services never import the context.
 */
type StewardContext = AppLoadContext["steward"];

export function sessionSettings(ctx: Pick<StewardContext, "config">): SessionSettings {
  return {
    secret: ctx.config.sessionSecret,
    idleMinutes: ctx.config.sessionIdleMinutes,
    maxHours: ctx.config.sessionMaxHours,
    homeserverUrl: ctx.config.homeserverUrl,
  };
}

/** What ending a session needs from the app context (auth/session-end.server.ts). */
export function sessionEndDeps(ctx: Pick<StewardContext, "config" | "db" | "log" | "homeserver" | "endingSessions">): SessionEndDeps {
  return {
    db: ctx.db,
    settings: sessionSettings(ctx),
    homeserver: (url, token, opts) => ctx.homeserver(url, token, opts),
    log: ctx.log,
    timeoutMs: Math.min(5_000, ctx.config.homeserverTimeoutMs),
    ending: ctx.endingSessions,
  };
}

export interface AdminRequest {
  session: AdminSession;
  hs: HomeserverClient;
  steward: StewardContext;
  requestId: string;
}

interface Args {
  request: Request;
  context: AppLoadContext;
}

export function loginRedirect(request: Request, context: AppLoadContext, reason?: string) {
  const url = new URL(request.url);
  const params = new URLSearchParams();
  const next = url.pathname + url.search;
  if (next !== "/" && !next.startsWith("/login")) params.set("next", next);
  if (reason) params.set("reason", reason);
  const qs = params.toString();
  return redirect(`/login${qs ? `?${qs}` : ""}`, { headers: { "Set-Cookie": clearSessionCookie(context.secure) } });
}

export async function getAdminSession({ request, context }: Args): Promise<AdminSession | null> {
  const cookie = parseCookies(request.headers.get("cookie"))[SESSION_COOKIE];
  try {
    return await readSession(context.steward.db, sessionSettings(context.steward), cookie);
  } catch (e) {
    // Every page starts here, so a database outage becomes one plain 503 page instead of a stack of 500s.
    throw databaseUnavailable(context, e);
  }
}

/** The plain 503 answer for "Steward's own database is not answering" (logged once, no details to the browser). */
export function databaseUnavailable(context: AppLoadContext, e: unknown): Response {
  context.steward.log.error("database unavailable", { requestId: context.requestId, error: (e as Error).message });
  return new Response("Steward's own database is not answering right now. Pages will work again as soon as it is back; try again in a moment.", {
    status: 503,
    headers: { "Retry-After": "10", "Content-Type": "text/plain; charset=utf-8" },
  });
}

/**
 * One check per request: a document request runs several loaders (the shell's and the page's) at once, and two
 * concurrent checks would race — one ends the session, the other then finds none and loses the reason. The load
 * context is created once per request, so it keys the shared result.
 */
const checksInFlight = new WeakMap<object, Promise<AdminRequest>>();

/**
 * Whether the request came through a trusted proxy (TRUST_PROXY), noted by requireAdmin for requireCsrf, which
 * every action calls right after it with the same request. A request never seen by requireAdmin counts as
 * untrusted: the stricter answer.
 */
const proxyTrust = new WeakMap<Request, boolean>();

export function requireAdmin(args: Args): Promise<AdminRequest> {
  proxyTrust.set(args.request, args.context.proxyTrusted ?? false);
  let check = checksInFlight.get(args.context);
  if (!check) {
    check = requireAdminOnce(args);
    checksInFlight.set(args.context, check);
  }
  return check;
}

async function requireAdminOnce(args: Args): Promise<AdminRequest> {
  let session = await getAdminSession(args);
  if (!session) {
    // Data requests (fetch/JSON) get a 401 instead of an HTML redirect they cannot follow usefully.
    if (args.request.headers.get("accept")?.includes("application/json") && !args.request.headers.get("accept")?.includes("text/html")) {
      throw new Response(JSON.stringify({ error: "Sign in first." }), { status: 401, headers: { "Content-Type": "application/json" } });
    }
    throw loginRedirect(args.request, args.context);
  }
  const steward = args.context.steward;
  // Signed in through MAS: refresh the access token before it expires (or end the session with the reason).
  const refreshed = await refreshMasSession(steward.db, sessionSettings(steward), session, { http: { timeoutMs: steward.config.homeserverTimeoutMs } }).catch((e) => {
    throw databaseUnavailable(args.context, e);
  });
  if (refreshed.ended) throw loginRedirect(args.request, args.context, refreshed.ended);
  session = refreshed.session;
  await reverifySession(args, session);
  return { session, hs: steward.homeserver(session.homeserverUrl, session.accessToken), steward, requestId: args.context.requestId };
}

/**
 * The session a stored page may be served to without rendering (decision 010): the same session check a page's
 * loader makes (cookie, idle and absolute expiry, touch), but only when the homeserver re-check is not due — then
 * the full page path runs, which makes it. Null means "render normally" (which also answers the signed-out case);
 * a database error propagates to the caller, which renders normally too (a plain 503).
 */
export async function sessionForStoredPage(steward: StewardContext, cookieHeader: string | undefined): Promise<AdminSession | null> {
  const cookie = parseCookies(cookieHeader ?? null)[SESSION_COOKIE];
  if (!cookie) return null;
  const session = await readSession(steward.db, sessionSettings(steward), cookie);
  if (!session) return null;
  return recheckDue(steward, session.idHash, Date.now()) ? null : session;
}

/** Whether the session's homeserver re-check is due (see reverifySession). */
function recheckDue(steward: StewardContext, idHash: string, now: number): boolean {
  return now - (steward.sessionChecks.get(idHash) ?? 0) >= steward.config.sessionReverifySeconds * 1000;
}

/**
 * A token revoked on the homeserver, or an account that lost admin rights, must not keep working in Steward until
 * the session expires. At most once a minute per session, ask the homeserver (quickly, no retries). When the
 * homeserver is down, pages keep working from Steward's database: only a definite "no" ends the session.
 */
async function reverifySession(args: Args, session: AdminSession) {
  const steward = args.context.steward;
  const REVERIFY_MS = steward.config.sessionReverifySeconds * 1000;
  const now = Date.now();
  if (!recheckDue(steward, session.idHash, now)) return;
  // One check at a time per session: the requests arriving while it runs go on as before it was due (the session
  // was confirmed a minute ago). Without this, every request of a busy session asked the homeserver at once, and
  // none could be served from the page cache until one answered (load benchmark: a collapse every minute).
  const retryAt = now - REVERIFY_MS + Math.min(REVERIFY_MS, 15_000);
  steward.sessionChecks.set(session.idHash, retryAt);
  const hs = steward.homeserver(session.homeserverUrl, session.accessToken, { timeoutMs: Math.min(3_000, steward.config.homeserverTimeoutMs), maxRetries: 0 });
  // The count of the admin's Steward devices in the header is brought up to date alongside (its own failure is
  // logged and changes nothing here).
  const counted = refreshStewardDevices(steward.db, hs, session, steward.log).catch((e) => steward.log.warn("could not store the Steward device count", { error: (e as Error).message }));
  try {
    await hs.users.get(session.userId);
    steward.sessionChecks.set(session.idHash, now);
    await counted;
  } catch (e) {
    await counted;
    if (isHomeserverError(e, ["unknown_token", "missing_token", "forbidden"])) {
      steward.sessionChecks.delete(session.idHash);
      await deleteSession(steward.db, session.idHash);
      const lostAdmin = isHomeserverError(e, "forbidden");
      if (lostAdmin && !session.tokenProvided) await hs.auth.logout().catch(() => {});
      throw loginRedirect(args.request, args.context, lostAdmin ? "not_admin" : "expired");
    }
    // Unreachable, slow, 5xx: try again in a little while (already noted above), and let the page render from the
    // database.
  }
}

/** The request's form fields; an empty set when the body is not a form (e.g. a fetch with only headers). */
export async function readForm(request: Request): Promise<FormData> {
  const type = request.headers.get("content-type") ?? "";
  if (type.includes("application/x-www-form-urlencoded") || type.includes("multipart/form-data")) {
    try {
      return await request.formData();
    } catch {
      throw new Response("The form could not be read.", { status: 400 });
    }
  }
  return new FormData();
}

/**
 * Refuses a mutation without the session's CSRF token (form field `csrf` or header `X-CSRF-Token`) or from another
 * origin (auth/origin.server.ts: behind a trusted proxy, the forwarded host and scheme).
 */
export function requireCsrf(request: Request, session: AdminSession, form?: FormData): void {
  if (!requestOriginAllowed(request, proxyTrust.get(request) ?? false)) throw new Response("Cross-site request refused.", { status: 403 });
  const supplied = (form?.get("csrf") as string | null) ?? request.headers.get("x-csrf-token") ?? "";
  // Pages carry the token masked per response (maskToken); the plain token is accepted too.
  const token = typeof supplied === "string" && supplied.length <= 300 ? unmaskToken(supplied) : null;
  if (!token || !safeEqual(token, session.csrfToken)) {
    throw new Response("This form has expired or did not come from Steward. Reload the page and try again.", { status: 403 });
  }
}

/**
 * Runs a homeserver call; a token the homeserver no longer accepts ends the session and sends the admin back to
 * sign in with a message, instead of an error page.
 */
export async function withHomeserver<T>(admin: AdminRequest, args: Args, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (isHomeserverError(e, "unknown_token") || isHomeserverError(e, "missing_token")) {
      await deleteSession(admin.steward.db, admin.session.idHash);
      throw loginRedirect(args.request, args.context, "expired");
    }
    throw e;
  }
}

/** Sign-out: ends Steward's session and logs the token out on the homeserver (unless the admin pasted it in). */
import type { ActionFunctionArgs } from "@remix-run/node";
import { redirect } from "@remix-run/node";
import { recordAudit } from "~/services/audit/events.server";
import { readForm, requireAdmin, requireCsrf } from "~/services/auth/guard.server";
import { clearSessionCookie, deleteSession } from "~/services/auth/session.server";
import { signOutMas } from "~/services/auth/mas-sign-in.server";

export async function loader() {
  // Sign-out changes state, so it is POST only; a GET just goes home.
  return redirect("/");
}

export async function action(args: ActionFunctionArgs) {
  const admin = await requireAdmin(args);
  requireCsrf(args.request, admin.session, await readForm(args.request));
  let homeserverLogout: "ok" | "skipped" | "failed" = "skipped";
  // Signed in through MAS: revoking at MAS ends the OAuth session (both tokens); Synapse has no logout for it.
  const masRevoke = await signOutMas(admin.steward.db, admin.steward.config.sessionSecret, admin.session.idHash, { timeoutMs: admin.steward.config.homeserverTimeoutMs });
  if (masRevoke !== "skipped") homeserverLogout = masRevoke;
  else if (!admin.session.tokenProvided) {
    try {
      await admin.hs.auth.logout();
      homeserverLogout = "ok";
    } catch (e) {
      // An already invalid token is as good as logged out; anything else is noted in the audit entry.
      homeserverLogout = (e as { kind?: string }).kind === "unknown_token" ? "ok" : "failed";
    }
  }
  await deleteSession(admin.steward.db, admin.session.idHash);
  await recordAudit(admin.steward.db, {
    actor: admin.session.userId,
    action: "auth.sign_out",
    target: admin.session.homeserverUrl,
    outcome: "ok",
    detail: { homeserverLogout },
    requestId: admin.requestId,
  });
  return redirect("/login?reason=signed_out", { headers: { "Set-Cookie": clearSessionCookie(args.context.secure) } });
}

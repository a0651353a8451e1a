/**
 * The live username check behind the invite form (JSON). Only for someone holding an invite page's form token, so
 * it is no open oracle for which accounts exist; rate-limited per IP like the other public endpoints.
 */
import type { LoaderFunctionArgs } from "@remix-run/node";
import { json } from "@remix-run/node";
import { PUBLIC_LIMITS, publicHomeserver, usernameAvailability } from "~/services/tokens/registration.server";
import { checkInviteForm, limitPublic, requirePublicRegistration } from "~/services/tokens/invite-guard.server";

export async function loader({ request, context }: LoaderFunctionArgs) {
  requirePublicRegistration(context);
  const headers = { "Cache-Control": "no-store" };
  if (!checkInviteForm(request, context.steward.config.sessionSecret, request.headers.get("x-invite-form"), context.proxyTrusted)) {
    return json({ available: null, message: "Open your invite link again." }, { status: 403, headers });
  }
  const limit = await limitPublic(context, "available", PUBLIC_LIMITS.available);
  if (!limit.allowed) {
    return json({ available: null, message: "Checked too often; the name is checked again when you submit." }, { status: 429, headers: { ...headers, "Retry-After": String(limit.retryAfterSeconds) } });
  }
  const username = (new URL(request.url).searchParams.get("username") ?? "").trim().toLowerCase().slice(0, 300);
  const hs = publicHomeserver(context.steward.config, context.timing);
  if (!hs) return json({ available: null, message: "Registration is not set up on this site." }, { status: 503, headers });
  return json(await usernameAvailability(hs, username), { headers });
}

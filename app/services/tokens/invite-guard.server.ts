/**
 * Guards for the public invite pages (/register…), which have no session: the PUBLIC_REGISTRATION switch, per-IP
 * limits in the database, a signed double-submit CSRF token for the sign-up form, and the signed link to the
 * welcome page. See docs/decisions for why a signed double-submit cookie plus an Origin check.
 */
import crypto from "node:crypto";
import type { AppLoadContext } from "@remix-run/node";
import { randomToken, safeEqual } from "../auth/crypto.server";
import { requestOriginAllowed } from "../auth/origin.server";
import { hitRateLimit, peekRateLimit } from "../auth/rate-limit.server";
import { parseCookies } from "../auth/session.server";

export const INVITE_CSRF_COOKIE = "steward_invite";

function hmac(secret: string, purpose: string, value: string): string {
  return crypto.createHmac("sha256", secret).update(`${purpose}\u0000${value}`).digest("base64url");
}

/** PUBLIC_REGISTRATION off → the public routes do not exist. */
export function requirePublicRegistration(context: AppLoadContext): void {
  if (!context.steward.config.publicRegistration) throw new Response("Not Found", { status: 404 });
}

/** Counts a hit against `kind` for the client's IP; a 429 response with Retry-After when over the limit. */
export async function limitPublic(
  context: AppLoadContext,
  kind: string,
  rule: { limit: number; windowMs: number },
): Promise<{ allowed: true } | { allowed: false; retryAfterSeconds: number }> {
  const r = await hitRateLimit(context.steward.db, `register:${kind}:${context.clientIp}`, rule.limit, rule.windowMs);
  return r.allowed ? { allowed: true } : { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(r.retryAfterMs / 1000)) };
}

/** Whether the client is already over `kind`'s limit, without counting a hit (checked before a form is read). */
export async function peekPublic(
  context: AppLoadContext,
  kind: string,
  rule: { limit: number; windowMs: number },
): Promise<{ allowed: true } | { allowed: false; retryAfterSeconds: number }> {
  const r = await peekRateLimit(context.steward.db, `register:${kind}:${context.clientIp}`, rule.limit, rule.windowMs);
  return r.allowed ? { allowed: true } : { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(r.retryAfterMs / 1000)) };
}

/**
 * The form's CSRF token: a random nonce in an httpOnly cookie, and HMAC(secret, nonce) in the form. A cross-site
 * page can neither read the cookie nor compute the HMAC; a cookie planted from a sibling domain is useless
 * without the secret. Returns the form token and, when a new nonce was made, the Set-Cookie header.
 */
export function inviteFormToken(request: Request, secret: string, secure: boolean): { formToken: string; setCookie?: string } {
  const existing = parseCookies(request.headers.get("cookie"))[INVITE_CSRF_COOKIE];
  const nonce = existing && /^[\w-]{20,64}$/.test(existing) ? existing : randomToken(18);
  const formToken = hmac(secret, "invite-form", nonce);
  if (nonce === existing) return { formToken };
  const setCookie = [
    `${INVITE_CSRF_COOKIE}=${nonce}`,
    "Path=/register",
    "HttpOnly",
    "SameSite=Lax",
    "Max-Age=86400",
    ...(secure ? ["Secure"] : []),
  ].join("; ");
  return { formToken, setCookie };
}

/** True when the form post carries the token that matches its cookie and comes from this site (if it says). */
export function checkInviteForm(request: Request, secret: string, supplied: unknown, trustProxy = false): boolean {
  if (!requestOriginAllowed(request, trustProxy)) return false;
  const nonce = parseCookies(request.headers.get("cookie"))[INVITE_CSRF_COOKIE];
  if (!nonce || typeof supplied !== "string" || !supplied) return false;
  return safeEqual(supplied, hmac(secret, "invite-form", nonce));
}

/** The welcome page's address: signed, so nobody can show a made-up "your account is ready" page from our site. */
export function welcomePath(secret: string, userId: string): string {
  return `/register/welcome?${new URLSearchParams({ u: userId, s: hmac(secret, "welcome", userId) })}`;
}

export function verifyWelcome(secret: string, userId: string | null, sig: string | null): boolean {
  return Boolean(userId && sig && safeEqual(sig, hmac(secret, "welcome", userId)));
}

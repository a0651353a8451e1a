/**
 * The sign-in form's CSRF token (login CSRF: another site must not sign a visitor's browser into the attacker's
 * account). There is no session yet, so it is a signed double submit: a random nonce in an httpOnly cookie scoped
 * to /login, HMAC(SESSION_SECRET, nonce) in the form. A foreign page can neither read the cookie nor compute the
 * HMAC. The form token is masked per response (crypto.server.ts maskToken).
 */
import crypto from "node:crypto";
import { maskToken, randomToken, safeEqual, unmaskToken } from "./crypto.server";
import { parseCookies } from "./session.server";

export const LOGIN_CSRF_COOKIE = "steward_login";

function formTokenFor(secret: string, nonce: string): string {
  return crypto.createHmac("sha256", secret).update(`login-form\u0000${nonce}`).digest("base64url");
}

/** The token for the sign-in form and, when this browser had no nonce yet, the Set-Cookie that gives it one. */
export function loginFormToken(request: Request, secret: string, secure: boolean): { formToken: string; setCookie?: string } {
  const existing = parseCookies(request.headers.get("cookie"))[LOGIN_CSRF_COOKIE];
  const nonce = existing && /^[\w-]{20,64}$/.test(existing) ? existing : randomToken(18);
  const formToken = maskToken(formTokenFor(secret, nonce));
  if (nonce === existing) return { formToken };
  const setCookie = [`${LOGIN_CSRF_COOKIE}=${nonce}`, "Path=/login", "HttpOnly", "SameSite=Lax", "Max-Age=86400", ...(secure ? ["Secure"] : [])].join("; ");
  return { formToken, setCookie };
}

/** True when the post carries the token that belongs to this browser's nonce cookie. */
export function checkLoginForm(request: Request, secret: string, supplied: unknown): boolean {
  const nonce = parseCookies(request.headers.get("cookie"))[LOGIN_CSRF_COOKIE];
  if (!nonce || typeof supplied !== "string" || !supplied || supplied.length > 300) return false;
  const token = unmaskToken(supplied);
  return token !== null && safeEqual(token, formTokenFor(secret, nonce));
}

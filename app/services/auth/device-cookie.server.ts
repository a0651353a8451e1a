/**
 * Which device this browser's password sign-ins use (decision 021): a long-lived cookie naming the account and the
 * device id of the browser's last password sign-in, so the next one asks the homeserver for the same device instead
 * of a new one. Signed (HMAC with SESSION_SECRET): a planted cookie must not make Steward sign in on a device it did
 * not create — Steward deletes its device when the session ends, and that must never be the admin's phone. Scoped to
 * /login, the only place it is read.
 */
import crypto from "node:crypto";
import { safeEqual } from "./crypto.server";
import { parseCookies } from "./session.server";

export const DEVICE_COOKIE = "steward_device";
/** 400 days: the longest lifetime browsers keep a cookie for. */
const MAX_AGE_SECONDS = 400 * 24 * 3600;

export interface RememberedDevice {
  userId: string;
  deviceId: string;
}

function signature(secret: string, payload: string): string {
  return crypto.createHmac("sha256", secret).update(`steward-device\u0000${payload}`).digest("base64url");
}

export function deviceCookie(secret: string, device: RememberedDevice, secure: boolean): string {
  const payload = Buffer.from(JSON.stringify({ u: device.userId, d: device.deviceId })).toString("base64url");
  const value = `${payload}.${signature(secret, payload)}`;
  return [`${DEVICE_COOKIE}=${value}`, "Path=/login", "HttpOnly", "SameSite=Lax", `Max-Age=${MAX_AGE_SECONDS}`, ...(secure ? ["Secure"] : [])].join("; ");
}

/** The device this browser remembers, or null when there is none or its signature does not hold. */
export function rememberedDevice(request: Request, secret: string): RememberedDevice | null {
  const value = parseCookies(request.headers.get("cookie"))[DEVICE_COOKIE];
  if (!value || value.length > 2000) return null;
  const dot = value.indexOf(".");
  if (dot < 1) return null;
  const payload = value.slice(0, dot);
  if (!safeEqual(value.slice(dot + 1), signature(secret, payload))) return null;
  try {
    const parsed = JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as { u?: unknown; d?: unknown };
    if (typeof parsed.u !== "string" || typeof parsed.d !== "string" || !parsed.d || parsed.d.length > 512) return null;
    return { userId: parsed.u, deviceId: parsed.d };
  } catch {
    return null;
  }
}

/**
 * Whether what the admin typed names the account a device belongs to: "@admin:example.org" or "admin" for
 * @admin:example.org. The homeserver matches user names without regard to case, so this does too. A different
 * account gets a device of its own.
 */
export function typedNameIsAccount(typed: string, userId: string): boolean {
  const t = typed.trim().toLowerCase();
  const u = userId.toLowerCase();
  if (t.startsWith("@")) return t === u;
  return u.startsWith(`@${t}:`);
}

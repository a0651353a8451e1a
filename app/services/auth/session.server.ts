/**
 * Server-side admin sessions. The browser holds only a random id (httpOnly cookie); the database holds its hash,
 * the encrypted homeserver token, the CSRF token and the expiry times (idle and absolute).
 */
import { and, eq, gt, lt, ne, or } from "drizzle-orm";
import type { Db } from "../../../db/client";
import { adminSessions } from "../../../db/schema";
import { sameHomeserver } from "./homeserver-binding.server";
import { decryptSecret, encryptSecret, randomToken, sha256 } from "./crypto.server";

export const SESSION_COOKIE = "steward_session";

export interface SessionSettings {
  secret: string;
  idleMinutes: number;
  maxHours: number;
  /** The one homeserver Steward manages: a session of any other is not a session (decision 019). */
  homeserverUrl?: string;
}

export interface AdminSession {
  idHash: string;
  userId: string;
  homeserverUrl: string;
  accessToken: string;
  deviceId: string | null;
  tokenProvided: boolean;
  serverVersion: string | null;
  csrfToken: string;
  /** Devices of this account with Steward's name, as last counted (null: not known). */
  stewardDevices: number | null;
  createdAt: Date;
  expiresAt: Date;
}

export interface NewSession {
  userId: string;
  homeserverUrl: string;
  accessToken: string;
  deviceId?: string | null;
  tokenProvided: boolean;
  serverVersion?: string | null;
  stewardDevices?: number | null;
}

export async function createSession(db: Db, s: SessionSettings, data: NewSession, now = new Date()) {
  const id = randomToken(32);
  const csrfToken = randomToken(24);
  const expiresAt = new Date(now.getTime() + s.maxHours * 3600_000);
  await db.insert(adminSessions).values({
    idHash: sha256(id),
    userId: data.userId,
    homeserverUrl: data.homeserverUrl,
    accessTokenEnc: encryptSecret(s.secret, data.accessToken),
    deviceId: data.deviceId ?? null,
    tokenProvided: data.tokenProvided ? 1 : 0,
    serverVersion: data.serverVersion ?? null,
    stewardDevices: data.stewardDevices ?? null,
    csrfToken,
    createdAt: now,
    lastSeenAt: now,
    expiresAt,
  });
  return { cookieValue: id, csrfToken, expiresAt };
}

/** The session for a cookie value, or null when absent, expired (idle or absolute) or undecryptable. */
export async function readSession(db: Db, s: SessionSettings, cookieValue: string | undefined, now = new Date()) {
  if (!cookieValue || cookieValue.length > 200) return null;
  const idHash = sha256(cookieValue);
  const [row] = await db.select().from(adminSessions).where(eq(adminSessions.idHash, idHash));
  if (!row) return null;
  // An expired session is refused but left in place: the purge (session-end.server.ts) logs its token out on the
  // homeserver, which deletes its device, before it deletes the row. Deleting it here would forget the token.
  if (expiredAt(row, s) <= now.getTime()) return null;
  if (s.homeserverUrl && !sameHomeserver(row.homeserverUrl, s.homeserverUrl)) {
    await db.delete(adminSessions).where(eq(adminSessions.idHash, idHash));
    return null;
  }
  const accessToken = decryptSecret(s.secret, row.accessTokenEnc);
  if (!accessToken) return null;
  // Touch at most once a minute: every page load writing a row would be waste.
  if (now.getTime() - row.lastSeenAt.getTime() > 60_000) {
    await db.update(adminSessions).set({ lastSeenAt: now }).where(eq(adminSessions.idHash, idHash));
  }
  const session: AdminSession = {
    idHash,
    userId: row.userId,
    homeserverUrl: row.homeserverUrl,
    accessToken,
    deviceId: row.deviceId,
    tokenProvided: row.tokenProvided === 1,
    serverVersion: row.serverVersion,
    csrfToken: row.csrfToken,
    stewardDevices: row.stewardDevices,
    createdAt: row.createdAt,
    expiresAt: row.expiresAt,
  };
  return session;
}

export async function deleteSession(db: Db, idHash: string) {
  await db.delete(adminSessions).where(eq(adminSessions.idHash, idHash));
}

/** When a session stops being accepted: its absolute expiry or its idle deadline, whichever comes first (ms). */
export function expiredAt(row: { expiresAt: Date; lastSeenAt: Date }, s: Pick<SessionSettings, "idleMinutes">): number {
  return Math.min(row.expiresAt.getTime(), row.lastSeenAt.getTime() + s.idleMinutes * 60_000);
}

/** A stored session with its token, whether or not it is still accepted (for ending it properly). */
export interface StoredSession {
  idHash: string;
  userId: string;
  homeserverUrl: string;
  /** Null when it no longer decrypts (SESSION_SECRET changed): nothing can be logged out then. */
  accessToken: string | null;
  deviceId: string | null;
  tokenProvided: boolean;
  /** When it stops (stopped) being accepted, ms; `expiresAtMs` when that is the absolute limit, else the idle one. */
  expiredAt: number;
  expiresAtMs: number;
}

function stored(row: typeof adminSessions.$inferSelect, s: SessionSettings): StoredSession {
  return {
    idHash: row.idHash,
    userId: row.userId,
    homeserverUrl: row.homeserverUrl,
    accessToken: decryptSecret(s.secret, row.accessTokenEnc),
    deviceId: row.deviceId,
    tokenProvided: row.tokenProvided === 1,
    expiredAt: expiredAt(row, s),
    expiresAtMs: row.expiresAt.getTime(),
  };
}

/** Sessions past their idle or absolute limit, oldest first (at most `limit`). */
export async function expiredSessions(db: Db, s: SessionSettings, now = new Date(), limit = 50): Promise<StoredSession[]> {
  const idleFloor = new Date(now.getTime() - s.idleMinutes * 60_000);
  const rows = await db
    .select()
    .from(adminSessions)
    .where(or(lt(adminSessions.expiresAt, now), lt(adminSessions.lastSeenAt, idleFloor)))
    .orderBy(adminSessions.lastSeenAt)
    .limit(limit);
  return rows.map((r) => stored(r, s));
}

/** The session a cookie names, expired or not, without touching it: what a new sign-in from this browser replaces. */
export async function storedSessionFor(db: Db, s: SessionSettings, cookieValue: string | undefined): Promise<StoredSession | null> {
  if (!cookieValue || cookieValue.length > 200) return null;
  const [row] = await db.select().from(adminSessions).where(eq(adminSessions.idHash, sha256(cookieValue)));
  return row ? stored(row, s) : null;
}

/** Whether a session other than `exceptIdHash` that is still accepted uses this device of this account. */
export async function liveSessionOnDevice(db: Db, s: SessionSettings, userId: string, deviceId: string, exceptIdHash: string, now = new Date()): Promise<boolean> {
  const idleFloor = new Date(now.getTime() - s.idleMinutes * 60_000);
  const rows = await db
    .select({ idHash: adminSessions.idHash })
    .from(adminSessions)
    .where(
      and(
        eq(adminSessions.userId, userId),
        eq(adminSessions.deviceId, deviceId),
        ne(adminSessions.idHash, exceptIdHash),
        gt(adminSessions.expiresAt, now),
        gt(adminSessions.lastSeenAt, idleFloor),
      ),
    )
    .limit(1);
  return rows.length > 0;
}

/**
 * Deletes the sessions of this account on this device other than `keepIdHash`, without logging anything out: a new
 * sign-in took the device over, and logging their tokens out would delete the device under it.
 */
export async function deleteOtherSessionsOnDevice(db: Db, userId: string, deviceId: string, keepIdHash: string): Promise<number> {
  const gone = await db
    .delete(adminSessions)
    .where(and(eq(adminSessions.userId, userId), eq(adminSessions.deviceId, deviceId), ne(adminSessions.idHash, keepIdHash)))
    .returning({ idHash: adminSessions.idHash });
  return gone.length;
}

/** Deletes one session; true when this call deleted it (another process may have been first). */
export async function takeSession(db: Db, idHash: string): Promise<boolean> {
  const gone = await db.delete(adminSessions).where(eq(adminSessions.idHash, idHash)).returning({ idHash: adminSessions.idHash });
  return gone.length > 0;
}

/** Records a new count of the account's Steward devices on a session (shown in the header). */
export async function setStewardDevices(db: Db, idHash: string, count: number): Promise<void> {
  await db.update(adminSessions).set({ stewardDevices: count }).where(eq(adminSessions.idHash, idHash));
}

/**
 * The homeserver token background jobs use when HOMESERVER_ADMIN_TOKEN is not set: the most recently active
 * admin session's token.
 */
export async function latestSessionToken(db: Db, s: SessionSettings, now = new Date()) {
  const idleFloor = new Date(now.getTime() - s.idleMinutes * 60_000);
  const rows = await db
    .select()
    .from(adminSessions)
    .where(and(gt(adminSessions.lastSeenAt, idleFloor), gt(adminSessions.expiresAt, now)))
    .orderBy(adminSessions.lastSeenAt)
    .limit(20);
  for (const row of rows.reverse()) {
    // Only a session of the managed homeserver lends its token to the collectors.
    if (s.homeserverUrl && !sameHomeserver(row.homeserverUrl, s.homeserverUrl)) continue;
    const token = decryptSecret(s.secret, row.accessTokenEnc);
    if (token) return { idHash: row.idHash, userId: row.userId, homeserverUrl: row.homeserverUrl, accessToken: token };
  }
  return null;
}

export function parseCookies(header: string | null): Record<string, string> {
  // No prototype: a cookie named "toString" or "__proto__" is just a cookie (with `in` on {} it was dropped).
  const out: Record<string, string> = Object.create(null);
  if (!header) return out;
  for (const part of header.split(";")) {
    const i = part.indexOf("=");
    if (i < 0) continue;
    const k = part.slice(0, i).trim();
    if (!k || Object.hasOwn(out, k)) continue;
    try {
      out[k] = decodeURIComponent(part.slice(i + 1).trim());
    } catch {
      /* a malformed cookie is ignored */
    }
  }
  return out;
}

export function sessionCookie(value: string, opts: { secure: boolean; maxAgeSeconds: number }): string {
  return [
    `${SESSION_COOKIE}=${value}`,
    "Path=/",
    "HttpOnly",
    "SameSite=Lax",
    `Max-Age=${Math.max(0, Math.floor(opts.maxAgeSeconds))}`,
    ...(opts.secure ? ["Secure"] : []),
  ].join("; ");
}

export function clearSessionCookie(secure: boolean): string {
  return sessionCookie("", { secure, maxAgeSeconds: 0 });
}

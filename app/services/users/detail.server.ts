/**
 * One user's page: the stored row (from the last collection) plus the profile and devices fetched live from the
 * homeserver. A live call that fails is reported beside its section and the page still renders; only a token the
 * homeserver no longer accepts ends the session (withHomeserver turns that into "sign in again").
 */
import type { Db } from "../../../db/client";
import type { Device, HomeserverClient, UserDetails } from "../../homeserver";
import { describeHomeserverError, isHomeserverError } from "../../homeserver";
import { getStoredUser } from "./stored.server";

export type Live<T> = { ok: true; value: T } | { ok: false; error: string; notFound: boolean };

/** Runs a live call; the Response a guard throws (sign in again) passes through, other failures become text. */
export async function live<T>(call: () => Promise<T>): Promise<Live<T>> {
  try {
    return { ok: true, value: await call() };
  } catch (e) {
    if (e instanceof Response) throw e;
    return { ok: false, error: describeHomeserverError(e), notFound: isHomeserverError(e, "not_found") };
  }
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export interface UserDetailView {
  userId: string;
  stored: {
    displayname: string | null;
    admin: boolean;
    deactivated: boolean;
    locked: boolean;
    isGuest: boolean;
    userType: string | null;
    shadowBanned: boolean;
    erased: boolean;
    creationTs: string | null;
    lastSeenTs: string | null;
  } | null;
  profile: Live<{
    displayname: string | null;
    admin: boolean;
    deactivated: boolean;
    locked: boolean;
    suspended: boolean;
    isGuest: boolean;
    userType: string | null;
    shadowBanned: boolean;
    erased: boolean;
    creationTs: string | null;
    lastSeenTs: string | null;
    appserviceId: string | null;
    threepids: Array<{ medium: string; address: string }>;
    externalIds: Array<{ authProvider: string; externalId: string }>;
  }>;
  devices: Live<Array<{ deviceId: string; displayName: string | null; lastSeenTs: string | null; lastSeenIp: string | null; lastSeenUserAgent: string | null; dehydrated: boolean }>>;
  /**
   * When the account was last seen, the latest of everything read: the single-user GET (`user_ips` only, pruned
   * after 28 days), the stored list row (from 1.140 the list takes the devices' last use, synapse-versions.md §1.1)
   * and the devices themselves. So the page agrees with the list on 1.157 and is not "never" on 1.132 for an account
   * whose IP rows were pruned while its devices say when they were used.
   */
  lastSeenTs: string | null;
}

function profileView(u: UserDetails) {
  return {
    displayname: u.displayname,
    admin: u.admin,
    deactivated: u.deactivated,
    locked: u.locked,
    suspended: u.suspended,
    isGuest: u.isGuest,
    userType: u.userType,
    shadowBanned: u.shadowBanned,
    erased: u.erased,
    creationTs: iso(u.creationTs), // the client already turned this endpoint's SECONDS into ms
    lastSeenTs: iso(u.lastSeenTs),
    appserviceId: u.appserviceId,
    threepids: u.threepids.map((t) => ({ medium: t.medium, address: t.address })),
    externalIds: u.externalIds,
  };
}

function deviceView(d: Device) {
  return {
    deviceId: d.deviceId,
    displayName: d.displayName,
    lastSeenTs: iso(d.lastSeenTs),
    lastSeenIp: d.lastSeenIp,
    lastSeenUserAgent: d.lastSeenUserAgent,
    dehydrated: d.dehydrated,
  };
}

/**
 * `guard` wraps each homeserver call (the route passes withHomeserver, so a revoked token signs the admin out).
 * Devices are sorted most recently seen first.
 */
export async function loadUserDetail(
  db: Db,
  hs: HomeserverClient,
  userId: string,
  guard: <T>(fn: () => Promise<T>) => Promise<T>,
): Promise<UserDetailView> {
  const [stored, profile, devices] = await Promise.all([
    getStoredUser(db, userId),
    live(() => guard(() => hs.users.get(userId))),
    live(() => guard(() => hs.devices.list(userId))),
  ]);
  const seen = [
    profile.ok ? profile.value.lastSeenTs : null,
    stored?.lastSeenTs?.getTime() ?? null,
    ...(devices.ok ? devices.value.devices.map((d) => d.lastSeenTs) : []),
  ].filter((t): t is number => t !== null);
  return {
    userId,
    lastSeenTs: seen.length ? iso(Math.max(...seen)) : null,
    stored: stored
      ? {
          displayname: stored.displayname,
          admin: stored.admin,
          deactivated: stored.deactivated,
          locked: stored.locked,
          isGuest: stored.isGuest,
          userType: stored.userType,
          shadowBanned: stored.shadowBanned,
          erased: stored.erased,
          creationTs: stored.creationTs?.toISOString() ?? null,
          lastSeenTs: stored.lastSeenTs?.toISOString() ?? null,
        }
      : null,
    profile: profile.ok ? { ok: true, value: profileView(profile.value) } : profile,
    devices: devices.ok
      ? { ok: true, value: devices.value.devices.map(deviceView).sort((a, b) => (b.lastSeenTs ?? "").localeCompare(a.lastSeenTs ?? "")) }
      : devices,
  };
}

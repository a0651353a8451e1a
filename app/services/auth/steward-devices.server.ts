/**
 * How many of an admin's devices are Steward sign-ins (decision 021), kept on the session for the header: counted
 * at sign-in, on the minute's re-check of the session and whenever the admin opens their own user page.
 */
import type { Db } from "../../../db/client";
import type { HomeserverClient } from "../../homeserver";
import type { Logger } from "../observability/log.server";
import { setStewardDevices } from "./session.server";
import { isStewardDevice } from "./steward-device";

export function countStewardDevices(devices: Array<{ displayName: string | null }>): number {
  return devices.filter((d) => isStewardDevice(d.displayName)).length;
}

/**
 * Counts the account's Steward devices on the homeserver and stores the count on the session when it changed.
 * Returns the count, or null when the homeserver did not list the devices (logged; the old count stays).
 */
export async function refreshStewardDevices(
  db: Db,
  hs: HomeserverClient,
  session: { idHash: string; userId: string; stewardDevices: number | null },
  log: Logger,
): Promise<number | null> {
  let count: number;
  try {
    count = countStewardDevices((await hs.devices.list(session.userId)).devices);
  } catch (e) {
    log.info("could not count the admin's Steward devices", { user: session.userId, error: (e as Error).message });
    return null;
  }
  if (count !== session.stewardDevices) await setStewardDevices(db, session.idHash, count);
  return count;
}

export interface OwnStewardDevices {
  count: number;
  /** Whether this session's own device is one of them (a password sign-in); not for a pasted token or MAS. */
  ownIsSteward: boolean;
}

/**
 * On the admin's own user page: the count from the device list the page loaded anyway (no extra homeserver call),
 * stored on the session so the header agrees. Null on anyone else's page or when the list did not load.
 */
export async function ownStewardDevices(
  db: Db,
  session: { idHash: string; userId: string; deviceId: string | null; tokenProvided: boolean; stewardDevices: number | null },
  pageUserId: string,
  devices: { ok: true; value: Array<{ deviceId: string; displayName: string | null }> } | { ok: false },
): Promise<OwnStewardDevices | null> {
  if (pageUserId !== session.userId || !devices.ok) return null;
  const count = countStewardDevices(devices.value);
  if (count !== session.stewardDevices) await setStewardDevices(db, session.idHash, count);
  const own = devices.value.find((d) => d.deviceId === session.deviceId);
  return { count, ownIsSteward: !session.tokenProvided && Boolean(own && isStewardDevice(own.displayName)) };
}

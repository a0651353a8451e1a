/**
 * After a bulk job acts on a user, their row of the latest complete posture scan is re-checked from what the
 * homeserver just answered (the devices listed before acting, minus those signed out; for unverified sessions, a
 * fresh key query), and the scan's summary recomputed at the end — so the report reflects the job at once instead
 * of after the next scan. Rows are read and written a round of users at a time (one statement each way).
 */
import { and, eq, inArray, sql } from "drizzle-orm";
import type { Db } from "../../../../db/client";
import { postureScans, postureUsers, type PostureDevice } from "../../../../db/schema";
import type { Device } from "../../../homeserver";
import { combine, type CheckStatus } from "../../posture/classify.server";
import { latestCompleteScan } from "../../posture/report.server";
import { summarizeScan } from "../../posture/store.server";

const DAY_MS = 86_400_000;

export type PostureRow = Pick<typeof postureUsers.$inferSelect, "userId" | "deviceList" | "crossSigning" | "recovery" | "keyBackup" | "noUnverifiedSessions">;

export interface PostureRowUpdate {
  userId: string;
  deviceList: PostureDevice[];
  devices: number;
  crossSignedDevices: number;
  unverifiedDevices: number;
  noKeyDevices: number;
  staleDevices: number;
  noUnverifiedSessions: CheckStatus;
  fullySecured: CheckStatus;
}

/** The latest complete scan and its rows for these users (null when there is no complete scan). */
export async function postureRowsOf(db: Db, userIds: string[]): Promise<{ scanId: number; staleDays: number; rows: Map<string, PostureRow> } | null> {
  const scan = await latestCompleteScan(db);
  if (!scan || !userIds.length) return scan ? { scanId: scan.id, staleDays: scan.staleDays, rows: new Map() } : null;
  const rows = await db
    .select({ userId: postureUsers.userId, deviceList: postureUsers.deviceList, crossSigning: postureUsers.crossSigning, recovery: postureUsers.recovery, keyBackup: postureUsers.keyBackup, noUnverifiedSessions: postureUsers.noUnverifiedSessions })
    .from(postureUsers)
    .where(and(eq(postureUsers.scanId, scan.id), inArray(postureUsers.userId, userIds)));
  return { scanId: scan.id, staleDays: scan.staleDays, rows: new Map(rows.map((r) => [r.userId, r])) };
}

/** The row as it is now: the devices still there, each device's state (fresh when a key query was made), counts. */
export function rechecked(row: PostureRow, devices: Device[], unverified: Set<string> | null, now: Date, staleDays: number): PostureRowUpdate {
  const before = new Map((row.deviceList ?? []).map((d) => [d.id, d]));
  const list: PostureDevice[] = devices.map((d) => {
    let state = before.get(d.deviceId)?.state ?? "unknown";
    // A fresh key query says which are unverified now; one no longer in it was verified since the scan.
    if (unverified) state = unverified.has(d.deviceId) ? "unverified" : state === "unverified" ? "cross_signed" : state;
    const stale = d.lastSeenTs !== null && now.getTime() - d.lastSeenTs > staleDays * DAY_MS;
    return { id: d.deviceId, name: d.displayName, lastSeenTs: d.lastSeenTs, state, stale, ...(d.lastSeenIp ? { ip: d.lastSeenIp } : {}) };
  });
  const count = (f: (d: PostureDevice) => boolean) => list.filter(f).length;
  const unverifiedDevices = count((d) => d.state === "unverified");
  const noUnverified: CheckStatus =
    row.crossSigning === "unknown" || row.noUnverifiedSessions === "unknown" ? (row.noUnverifiedSessions as CheckStatus) : unverifiedDevices > 0 ? "missing" : "ok";
  return {
    userId: row.userId,
    deviceList: list,
    devices: list.length,
    crossSignedDevices: count((d) => d.state === "cross_signed"),
    unverifiedDevices,
    noKeyDevices: count((d) => d.state === "no_keys"),
    staleDevices: count((d) => d.stale),
    noUnverifiedSessions: noUnverified,
    fullySecured: combine([row.crossSigning, row.recovery, row.keyBackup, noUnverified] as CheckStatus[]),
  };
}

/** Writes a round's re-checked rows in one statement. */
export async function writePostureRows(db: Db, scanId: number, updates: PostureRowUpdate[], now: Date): Promise<void> {
  if (!updates.length) return;
  await db.execute(sql`
    update posture_users p set
      device_list = x.device_list, devices = x.devices, cross_signed_devices = x.cross_signed_devices,
      unverified_devices = x.unverified_devices, no_key_devices = x.no_key_devices, stale_devices = x.stale_devices,
      no_unverified_sessions = x.no_unverified_sessions, fully_secured = x.fully_secured, scanned_at = ${now.toISOString()}::timestamptz
    from jsonb_to_recordset(${JSON.stringify(
      updates.map((u) => ({
        user_id: u.userId,
        device_list: u.deviceList,
        devices: u.devices,
        cross_signed_devices: u.crossSignedDevices,
        unverified_devices: u.unverifiedDevices,
        no_key_devices: u.noKeyDevices,
        stale_devices: u.staleDevices,
        no_unverified_sessions: u.noUnverifiedSessions,
        fully_secured: u.fullySecured,
      })),
    )}::jsonb) as x(user_id text, device_list jsonb, devices int, cross_signed_devices int, unverified_devices int, no_key_devices int, stale_devices int, no_unverified_sessions text, fully_secured text)
    where p.scan_id = ${scanId} and p.user_id = x.user_id`);
}

/** The cards and the chart read the scan's summary: recomputed from the re-checked rows. */
export async function resummarizeLatestScan(db: Db): Promise<void> {
  const scan = await latestCompleteScan(db);
  if (!scan) return;
  const summary = await summarizeScan(db, scan.id);
  await db.update(postureScans).set({ summary }).where(eq(postureScans.id, scan.id));
}

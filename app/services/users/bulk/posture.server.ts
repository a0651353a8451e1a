/**
 * After a bulk job acts on a user, their row of the latest complete posture scan is re-checked from what the
 * homeserver just answered (the devices listed before acting, minus those signed out; for unverified sessions, a
 * fresh key query), and the scan's summary recomputed at the end — so the report reflects the job at once instead
 * of after the next scan.
 */
import { and, eq } from "drizzle-orm";
import type { Db } from "../../../../db/client";
import { postureScans, postureUsers, type PostureDevice } from "../../../../db/schema";
import type { Device } from "../../../homeserver";
import { combine, type CheckStatus } from "../../posture/classify.server";
import { latestCompleteScan } from "../../posture/report.server";
import { summarizeScan } from "../../posture/store.server";

const DAY_MS = 86_400_000;

export async function refreshPostureOf(db: Db, userId: string, devices: Device[], unverified: Set<string> | null, now: Date): Promise<void> {
  const scan = await latestCompleteScan(db);
  if (!scan) return;
  const [row] = await db.select().from(postureUsers).where(and(eq(postureUsers.scanId, scan.id), eq(postureUsers.userId, userId)));
  if (!row) return;
  const before = new Map((row.deviceList ?? []).map((d) => [d.id, d]));
  const list: PostureDevice[] = devices.map((d) => {
    let state = before.get(d.deviceId)?.state ?? "unknown";
    // A fresh key query says which are unverified now; one no longer in it was verified since the scan.
    if (unverified) state = unverified.has(d.deviceId) ? "unverified" : state === "unverified" ? "cross_signed" : state;
    const stale = d.lastSeenTs !== null && now.getTime() - d.lastSeenTs > scan.staleDays * DAY_MS;
    return { id: d.deviceId, name: d.displayName, lastSeenTs: d.lastSeenTs, state, stale, ...(d.lastSeenIp ? { ip: d.lastSeenIp } : {}) };
  });
  const count = (f: (d: PostureDevice) => boolean) => list.filter(f).length;
  const unverifiedDevices = count((d) => d.state === "unverified");
  const noUnverified: CheckStatus = row.crossSigning === "unknown" || row.noUnverifiedSessions === "unknown" ? (row.noUnverifiedSessions as CheckStatus) : unverifiedDevices > 0 ? "missing" : "ok";
  await db
    .update(postureUsers)
    .set({
      deviceList: list,
      devices: list.length,
      crossSignedDevices: count((d) => d.state === "cross_signed"),
      unverifiedDevices,
      noKeyDevices: count((d) => d.state === "no_keys"),
      staleDevices: count((d) => d.stale),
      noUnverifiedSessions: noUnverified,
      fullySecured: combine([row.crossSigning, row.recovery, row.keyBackup, noUnverified] as CheckStatus[]),
      scannedAt: now,
    })
    .where(and(eq(postureUsers.scanId, scan.id), eq(postureUsers.userId, userId)));
}

/** The cards and the chart read the scan's summary: recomputed from the re-checked rows. */
export async function resummarizeLatestScan(db: Db): Promise<void> {
  const scan = await latestCompleteScan(db);
  if (!scan) return;
  const summary = await summarizeScan(db, scan.id);
  await db.update(postureScans).set({ summary }).where(eq(postureScans.id, scan.id));
}

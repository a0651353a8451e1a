/** Device admin API (reference §2 "Devices"). No paging; hidden cross-signing pseudo-devices are left out. */
import { z } from "zod";
import type { HomeserverHttp } from "./http";
import { MAX_DATE_MS, boolOr, finiteNumber, isPlainRecord, msTimestamp, nullableString, withFastPath } from "./parse";

export interface Device {
  deviceId: string;
  userId: string;
  displayName: string | null;
  lastSeenIp: string | null;
  /** ms; null until the device has made an authenticated request (written a few seconds after it). */
  lastSeenTs: number | null;
  /** Null on servers before 1.66 or when never seen. */
  lastSeenUserAgent: string | null;
  /** Synapse sends `dehydrated` only for a dehydrated device (1.132+); absent means false. */
  dehydrated: boolean;
}

const deviceSchema = z
  .object({
    device_id: z.string(),
    user_id: z.string(),
    display_name: nullableString,
    last_seen_ip: nullableString,
    last_seen_ts: msTimestamp,
    last_seen_user_agent: nullableString,
    dehydrated: boolOr(false),
  })
  .transform(
    (d): Device => ({
      deviceId: d.device_id,
      userId: d.user_id,
      displayName: d.display_name,
      lastSeenIp: d.last_seen_ip,
      lastSeenTs: d.last_seen_ts,
      lastSeenUserAgent: d.last_seen_user_agent,
      dehydrated: d.dehydrated,
    }),
  );

const listSchema = z.object({ devices: z.array(deviceSchema), total: finiteNumber.nullish() }).transform((r) => ({
  devices: r.devices,
  total: r.total ?? r.devices.length,
}));

const str = (v: unknown): string | null | undefined => (v === null || v === undefined ? null : typeof v === "string" ? v : undefined);

/** One device the usual way, or null (then zod decides). Mirrors deviceSchema field by field. */
function fastDevice(d: unknown): Device | null {
  if (!isPlainRecord(d) || typeof d.device_id !== "string" || typeof d.user_id !== "string") return null;
  const displayName = str(d.display_name);
  const lastSeenIp = str(d.last_seen_ip);
  const lastSeenUserAgent = str(d.last_seen_user_agent);
  if (displayName === undefined || lastSeenIp === undefined || lastSeenUserAgent === undefined) return null;
  const ts = d.last_seen_ts;
  let lastSeenTs: number | null;
  if (ts === null || ts === undefined) lastSeenTs = null;
  else if (typeof ts === "number" && Number.isFinite(ts) && ts >= -MAX_DATE_MS && ts <= MAX_DATE_MS) lastSeenTs = ts;
  else return null;
  const dh = d.dehydrated;
  let dehydrated: boolean;
  if (dh === null || dh === undefined) dehydrated = false;
  else if (dh === true || dh === 1) dehydrated = true;
  else if (dh === false || dh === 0) dehydrated = false;
  else return null;
  return { deviceId: d.device_id, userId: d.user_id, displayName, lastSeenIp, lastSeenTs, lastSeenUserAgent, dehydrated };
}

function fastList(json: unknown): { devices: Device[]; total: number } | null {
  if (!isPlainRecord(json) || !Array.isArray(json.devices)) return null;
  const t = json.total;
  if (t !== null && t !== undefined && !(typeof t === "number" && Number.isFinite(t))) return null;
  const devices: Device[] = [];
  for (const d of json.devices) {
    const device = fastDevice(d);
    if (!device) return null;
    devices.push(device);
  }
  return { devices, total: (t as number | null | undefined) ?? devices.length };
}

/** The device list: a hand-written fast path (a posture scan reads one per user), zod for anything unusual. */
export const parseDeviceList = withFastPath(listSchema, fastList);

export function devicesApi(http: HomeserverHttp) {
  return {
    /** GET /_synapse/admin/v2/users/{userId}/devices. 404 not_found for an unknown local user. */
    list(userId: string): Promise<{ devices: Device[]; total: number }> {
      return http.get("/_synapse/admin/v2/users/{userId}/devices", { params: { userId }, parse: parseDeviceList });
    },

    /** GET /_synapse/admin/v2/users/{userId}/devices/{deviceId}. */
    get(userId: string, deviceId: string): Promise<Device> {
      return http.get("/_synapse/admin/v2/users/{userId}/devices/{deviceId}", {
        params: { userId, deviceId },
        parse: deviceSchema,
      });
    },
  };
}

export type DevicesApi = ReturnType<typeof devicesApi>;

/** For the test that holds the fast path to the schema. */
export { listSchema as deviceListSchema, fastList as fastDeviceList };

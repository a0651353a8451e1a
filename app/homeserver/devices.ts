/** Device admin API (reference §2 "Devices"). No paging; hidden cross-signing pseudo-devices are left out. */
import { z } from "zod";
import type { HomeserverHttp } from "./http";
import { boolOr, finiteNumber, msTimestamp, nullableString } from "./parse";

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

export function devicesApi(http: HomeserverHttp) {
  return {
    /** GET /_synapse/admin/v2/users/{userId}/devices. 404 not_found for an unknown local user. */
    list(userId: string): Promise<{ devices: Device[]; total: number }> {
      return http.get("/_synapse/admin/v2/users/{userId}/devices", { params: { userId }, parse: listSchema });
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

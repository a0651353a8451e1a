/**
 * Synapse's admin API for acting on users and sessions (reference §9, recorded/sequences/actions.json): modify a
 * user (lock, admin, deactivate/reactivate), sign sessions out, reset a password, deactivate (and erase).
 *
 * Every call here is safe to repeat with the same effect (deleting a missing device answers 200, deactivating a
 * deactivated user answers 200, setting a flag twice sets it once), so all of them are retried after 5xx, timeouts
 * and network errors — what lets a bulk job resume without asking twice whether a device is gone.
 */
import { z } from "zod";
import type { HomeserverHttp } from "./http";
import { userDetailsSchema, type UserDetails } from "./users";

export interface UserChanges {
  locked?: boolean;
  admin?: boolean;
  /** `false` reactivates; Synapse then requires `password`. */
  deactivated?: boolean;
  password?: string;
  /** With `password`: sign every session out (Synapse's default true). */
  logoutDevices?: boolean;
}

const empty = z.object({}).passthrough();

export function userActionsApi(http: HomeserverHttp) {
  return {
    /** PUT /_synapse/admin/v2/users/{userId}: 200 with the user; 400 for a remote user; 400 "You may not demote yourself.". */
    modify(userId: string, changes: UserChanges): Promise<UserDetails> {
      const body: Record<string, unknown> = {};
      if (changes.locked !== undefined) body.locked = changes.locked;
      if (changes.admin !== undefined) body.admin = changes.admin;
      if (changes.deactivated !== undefined) body.deactivated = changes.deactivated;
      if (changes.password !== undefined) body.password = changes.password;
      if (changes.logoutDevices !== undefined) body.logout_devices = changes.logoutDevices;
      return http.put("/_synapse/admin/v2/users/{userId}", { params: { userId }, body, parse: userDetailsSchema });
    },

    /** DELETE /_synapse/admin/v2/users/{userId}/devices/{deviceId}: 200 also for a device that does not exist. */
    async deleteDevice(userId: string, deviceId: string): Promise<void> {
      await http.delete("/_synapse/admin/v2/users/{userId}/devices/{deviceId}", { params: { userId, deviceId }, parse: empty });
    },

    /** POST /_synapse/admin/v2/users/{userId}/delete_devices: unknown ids are ignored. */
    async deleteDevices(userId: string, deviceIds: string[]): Promise<void> {
      await http.post("/_synapse/admin/v2/users/{userId}/delete_devices", {
        params: { userId },
        body: { devices: deviceIds },
        idempotent: true,
        parse: empty,
      });
    },

    /** POST /_synapse/admin/v1/reset_password/{userId}: 404 "Unknown user". Not under MAS. */
    async resetPassword(userId: string, newPassword: string, logoutDevices: boolean): Promise<void> {
      await http.post("/_synapse/admin/v1/reset_password/{userId}", {
        params: { userId },
        body: { new_password: newPassword, logout_devices: logoutDevices },
        idempotent: true,
        parse: empty,
      });
    },

    /** POST /_synapse/admin/v1/deactivate/{userId}: 200 also when already deactivated; 404 unknown; 400 remote. */
    async deactivate(userId: string, erase: boolean): Promise<void> {
      await http.post("/_synapse/admin/v1/deactivate/{userId}", {
        params: { userId },
        body: { erase },
        idempotent: true,
        parse: z.object({ id_server_unbind_result: z.string().optional() }).passthrough(),
      });
    },
  };
}

export type UserActionsApi = ReturnType<typeof userActionsApi>;

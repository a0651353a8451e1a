/** UserActionsBackend on Synapse's admin API (reference §9). */
import type { HomeserverClient } from "../../../homeserver";
import type { UserActionName, UserActionsBackend } from "./backend";

export function synapseUserActions(hs: HomeserverClient): UserActionsBackend {
  const a = hs.userActions;
  return {
    kind: "synapse",
    supports: (_action: UserActionName) => true,
    unsupportedReason: () => null,
    async sessions(userId) {
      const { devices } = await hs.devices.list(userId);
      return {
        truncated: false,
        sessions: devices.map((d) => ({
          key: d.deviceId,
          kind: "device" as const,
          deviceId: d.deviceId,
          name: d.displayName,
          client: null,
          clientId: null,
          createdTs: null,
          lastActiveTs: d.lastSeenTs,
          ip: d.lastSeenIp,
          userAgent: d.lastSeenUserAgent,
          canSignOut: true,
        })),
      };
    },
    // Synapse's own answer (hs.users.get) is the truth on a classic server.
    account: async () => null,
    signOutDevice: (userId, deviceId) => a.deleteDevice(userId, deviceId),
    signOutDevices: (userId, deviceIds) => (deviceIds.length ? a.deleteDevices(userId, deviceIds) : Promise.resolve()),
    async signOutAll(userId) {
      // Synapse has no "sign out everywhere" for an admin besides a password reset: list, then delete them all.
      const ids = (await hs.devices.list(userId)).devices.map((d) => d.deviceId);
      if (ids.length) await a.deleteDevices(userId, ids);
      return ids;
    },
    lock: async (userId) => void (await a.modify(userId, { locked: true })),
    unlock: async (userId) => void (await a.modify(userId, { locked: false })),
    resetPassword: (userId, newPassword, { signOutAll }) => a.resetPassword(userId, newPassword, signOutAll),
    deactivate: (userId, { erase }) => a.deactivate(userId, erase),
    async reactivate(userId, newPassword) {
      // Synapse refuses to reactivate a local user without a password (the route always asks for one here).
      if (newPassword === null) throw new Error("Synapse needs a new password to reactivate an account.");
      await a.modify(userId, { deactivated: false, password: newPassword });
    },
    setAdmin: async (userId, admin) => void (await a.modify(userId, { admin })),
    sendNotice: async (userId, text, txnId) => void (await hs.notices.send(userId, { msgtype: "m.text", body: text }, txnId)),
  };
}

// What MAS does to Synapse (mas-api.md §5.1–§5.2, synapse-versions.md §1.2, §2.6): the `/_synapse/mas/*` calls
// (or, for Synapse 1.132, the legacy admin API) applied to the Synapse simulator's state. MAS queues most of
// them as jobs; the simulator runs them at once, so a test sees the end state without waiting for a worker.
import { addDevice, addUser, deleteDevice, mxid, type SimState } from "../state";
import { versionAtLeast } from "../routes/users";

/** Creates the Synapse user on registration completion or admin `POST /users` (`provision_user`). */
export function provisionUser(synapse: SimState, localpart: string, now: number, displayname?: string | null): void {
  const id = mxid(synapse, localpart);
  const existing = synapse.users.get(id);
  if (existing) {
    if (displayname !== undefined) existing.displayname = displayname;
    return;
  }
  // register_user(by_admin=True): no password in Synapse, admin false; MAS sets the display name.
  addUser(synapse, { localpart, displayname: displayname ?? localpart, password: null }, now);
}

/**
 * lock / unlock: a `ProvisionUserJob` sends `locked` to `/_synapse/mas/provision_user`. Synapse stores it only
 * from 1.150.0; older Synapse ignores the field, and the legacy API (Synapse before 1.135) never sends it.
 */
export function syncLocked(synapse: SimState, localpart: string, locked: boolean): void {
  const u = synapse.users.get(mxid(synapse, localpart));
  if (u && versionAtLeast(synapse.version, 1, 150)) u.locked = locked;
}

/**
 * `delete_user {localpart, erase}` (or the legacy `POST /_synapse/admin/v1/deactivate`): deactivates, removes
 * devices and tokens. Erasing deletes the profile row from 1.150.0 (display name and avatar null); before it
 * set them to "".
 */
export function deleteUser(synapse: SimState, localpart: string, erase: boolean): void {
  const id = mxid(synapse, localpart);
  const u = synapse.users.get(id);
  if (!u) return;
  u.deactivated = true;
  u.password = null;
  u.threepids = [];
  for (const d of [...(synapse.devices.get(id)?.keys() ?? [])]) deleteDevice(synapse, id, d);
  for (const [k, t] of synapse.tokens) if (t.user_id === id) synapse.tokens.delete(k);
  if (erase) {
    u.erased = true;
    if (versionAtLeast(synapse.version, 1, 150)) {
      u.displayname = null;
      u.avatar_url = null;
    } else {
      u.displayname = "";
      u.avatar_url = "";
    }
  }
}

/** `reactivate_user`: 1.157.0 recreates the profile of an erased user (#19902). */
export function reactivateUser(synapse: SimState, localpart: string): void {
  const u = synapse.users.get(mxid(synapse, localpart));
  if (!u) return;
  u.deactivated = false;
  if (u.erased && versionAtLeast(synapse.version, 1, 157) && u.displayname === null) u.displayname = localpart;
}

/** `upsert_device` when a token carries a device scope or a compat login happens. */
export function upsertDevice(synapse: SimState, localpart: string, deviceId: string, displayName: string | null): void {
  const id = mxid(synapse, localpart);
  if (!synapse.users.has(id)) return;
  if (!synapse.devices.get(id)?.has(deviceId)) addDevice(synapse, id, { device_id: deviceId, display_name: displayName });
}

/** `SyncDevicesJob` after a session ends: its device goes from Synapse. */
export function removeDevice(synapse: SimState, localpart: string, deviceId: string): void {
  deleteDevice(synapse, mxid(synapse, localpart), deviceId);
}

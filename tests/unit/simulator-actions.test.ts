// The simulator's user and session actions (reference §9): what the recorded sequence cannot show by its answers
// alone — a deleted device's keys go with it, deactivation keeps cross-signing keys, the admin guard rails.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSimulator, type Simulator } from "../simulator/index";
import { enc, simFetch } from "../simulator/client";
import { addDevice, addUser } from "../simulator/state";
import { setUpCrossSigning, uploadDeviceKeys } from "../simulator/seed-posture";

let sim: Simulator;
beforeAll(async () => {
  sim = await startSimulator({ users: 0, serverName: "sim.test" });
});
afterAll(() => sim.close());

function freshUser(localpart: string) {
  const u = addUser(sim.state, { localpart, password: "pw" }, sim.clock.now());
  addDevice(sim.state, u.name, { device_id: "DEV1" });
  addDevice(sim.state, u.name, { device_id: "DEV2" });
  uploadDeviceKeys(sim.state, u.name, "DEV1");
  uploadDeviceKeys(sim.state, u.name, "DEV2");
  setUpCrossSigning(sim.state, u.name);
  return u;
}

describe("simulator: user and session actions", () => {
  it("deleting a device deletes its keys and its tokens; other devices keep theirs", async () => {
    const u = freshUser("keysgo");
    const token = sim.tokenFor(u.name);
    const tokenDevice = sim.state.tokens.get(token)!.device_id!;
    const r = await simFetch(sim, `/_synapse/admin/v2/users/${enc(u.name)}/devices/DEV1`, { method: "DELETE" });
    expect([r.status, r.json]).toEqual([200, {}]);
    expect(sim.state.posture.keys.get(u.name)!.devices.has("DEV1")).toBe(false);
    expect(sim.state.posture.keys.get(u.name)!.devices.has("DEV2")).toBe(true);
    await simFetch(sim, `/_synapse/admin/v2/users/${enc(u.name)}/delete_devices`, { body: { devices: [tokenDevice] } });
    expect(sim.state.tokens.has(token)).toBe(false);
  });

  it("deactivation removes devices, device keys, tokens and the password, and keeps cross-signing keys", async () => {
    const u = freshUser("keepsxs");
    sim.tokenFor(u.name);
    const r = await simFetch(sim, `/_synapse/admin/v1/deactivate/${enc(u.name)}`, { body: { erase: false } });
    expect(r.status).toBe(200);
    expect(sim.state.devices.get(u.name)!.size).toBe(0);
    expect(sim.state.posture.keys.get(u.name)!.devices.size).toBe(0);
    expect(sim.state.posture.keys.get(u.name)!.master).toBeDefined();
    expect([...sim.state.tokens.values()].some((t) => t.user_id === u.name)).toBe(false);
    expect(sim.state.users.get(u.name)).toMatchObject({ deactivated: true, password: null, erased: false, displayname: "keepsxs" });
  });

  it("reactivating a deactivated user needs a password", async () => {
    const u = addUser(sim.state, { localpart: "gone", deactivated: true }, sim.clock.now());
    const path = `/_synapse/admin/v2/users/${enc(u.name)}`;
    const bad = await simFetch(sim, path, { method: "PUT", body: { deactivated: false } });
    expect([bad.status, bad.json.errcode]).toEqual([400, "M_UNKNOWN"]);
    expect(sim.state.users.get(u.name)!.deactivated).toBe(true);
    const ok = await simFetch(sim, path, { method: "PUT", body: { deactivated: false, password: "new-pw" } });
    expect([ok.status, ok.json.deactivated]).toEqual([200, false]);
    expect(sim.state.users.get(u.name)!.password).toBe("new-pw");
  });

  it("an admin cannot demote itself through v2 either; demoting another admin works", async () => {
    const self = await simFetch(sim, `/_synapse/admin/v2/users/${enc("@admin:sim.test")}`, { method: "PUT", body: { admin: false } });
    expect([self.status, self.json.error]).toEqual([400, "You may not demote yourself."]);
    expect(sim.state.users.get("@admin:sim.test")!.admin).toBe(true);
    const other = addUser(sim.state, { localpart: "otheradmin", admin: true }, sim.clock.now());
    const r = await simFetch(sim, `/_synapse/admin/v2/users/${enc(other.name)}`, { method: "PUT", body: { admin: false } });
    expect([r.status, r.json.admin]).toEqual([200, false]);
  });

  it("remote users get 400 on device deletion and reset_password of an unknown user 404", async () => {
    const d = await simFetch(sim, `/_synapse/admin/v2/users/${enc("@x:elsewhere.test")}/devices/A`, { method: "DELETE" });
    expect([d.status, d.json.errcode]).toEqual([400, "M_UNKNOWN"]);
    const p = await simFetch(sim, `/_synapse/admin/v1/reset_password/${enc("@nobody:sim.test")}`, { body: { new_password: "x" } });
    expect([p.status, p.json.errcode]).toEqual([404, "M_NOT_FOUND"]);
  });
});

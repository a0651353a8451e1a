// The user-actions service on the simulator and a real database: every action changes the homeserver's state as
// Synapse would and leaves one audit entry; guard rails and bad input are refused, audited, and change nothing.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { desc } from "drizzle-orm";
import { createHomeserverClient } from "../../app/homeserver";
import { runUserAction, newFormId, type ActionRequest } from "../../app/services/users/actions/run.server";
import { loadActionTarget, userActionsBackend } from "../../app/services/users/actions/target.server";
import { offeredActions } from "../../app/services/users/actions/rules";
import { auditEvents } from "../../db/schema";
import { createTestDb, type TestDatabase } from "../helpers/db";
import { startSimulator, type Simulator } from "../simulator/index";
import { addDevice, addUser } from "../simulator/state";
import { setUpCrossSigning, uploadDeviceKeys } from "../simulator/seed-posture";

let sim: Simulator;
let database: TestDatabase;
const ADMIN = { userId: "@admin:sim.test", deviceId: "STEWARDSIM" };

beforeAll(async () => {
  sim = await startSimulator({ users: 0 });
});
afterAll(() => sim.close());
beforeEach(async () => {
  database = await createTestDb();
});
afterEach(() => database.close());

const hs = () => createHomeserverClient({ baseUrl: sim.url, accessToken: sim.adminToken, maxRetries: 1 });
let n = 0;
function user(extra: Record<string, unknown> = {}) {
  const u = addUser(sim.state, { localpart: `u${++n}`, password: "pw-pw-pw", ...extra }, sim.clock.now());
  for (const d of ["D1", "D2"]) {
    addDevice(sim.state, u.name, { device_id: d });
    uploadDeviceKeys(sim.state, u.name, d);
  }
  setUpCrossSigning(sim.state, u.name);
  return u;
}
async function act(userId: string, req: ActionRequest, formId = newFormId(), actor = ADMIN) {
  const lookup = await loadActionTarget(hs(), userId, "sim.test");
  if (!lookup.ok) throw new Error(lookup.error);
  return runUserAction({ db: database.db, backend: userActionsBackend(hs()), actor }, lookup.target, req, formId);
}
const audit = async () => database.db.select().from(auditEvents).orderBy(desc(auditEvents.id));

describe("user actions (Synapse backend)", () => {
  it("each action does what Synapse does and is audited with who, what, target and result", async () => {
    const u = user();
    expect(await act(u.name, { action: "sign-out-device", deviceId: "D1" })).toEqual({ ok: true });
    expect([...sim.state.devices.get(u.name)!.keys()]).toEqual(["D2"]);
    expect(sim.state.posture.keys.get(u.name)!.devices.has("D1")).toBe(false);
    expect(await act(u.name, { action: "lock" })).toEqual({ ok: true });
    expect(sim.state.users.get(u.name)!.locked).toBe(true);
    await act(u.name, { action: "unlock" });
    expect(sim.state.users.get(u.name)!.locked).toBe(false);
    await act(u.name, { action: "reset-password", password: "new-password-1", signOutAll: false });
    expect(sim.state.users.get(u.name)!.password).toBe("new-password-1");
    expect(sim.state.devices.get(u.name)!.size).toBe(1);
    expect(await act(u.name, { action: "sign-out-all" })).toEqual({ ok: true, signedOut: ["D2"] });
    expect(sim.state.devices.get(u.name)!.size).toBe(0);
    await act(u.name, { action: "make-admin" });
    expect(sim.state.users.get(u.name)!.admin).toBe(true);
    await act(u.name, { action: "remove-admin" });
    expect(sim.state.users.get(u.name)!.admin).toBe(false);
    await act(u.name, { action: "send-notice", text: "Hello from your admin" });
    expect(sim.state.posture.notices.at(-1)).toMatchObject({ user_id: u.name, content: { msgtype: "m.text", body: "Hello from your admin" } });
    await act(u.name, { action: "deactivate", erase: false });
    expect(sim.state.users.get(u.name)).toMatchObject({ deactivated: true, erased: false, password: null });
    expect(sim.state.posture.keys.get(u.name)!.master).toBeDefined();
    await act(u.name, { action: "reactivate", password: "back-again-1" });
    expect(sim.state.users.get(u.name)).toMatchObject({ deactivated: false, password: "back-again-1" });
    const rows = await audit();
    expect(rows.map((r) => [r.action, r.outcome]).reverse()).toEqual([
      ["user.sign-out-device", "ok"], ["user.lock", "ok"], ["user.unlock", "ok"], ["user.reset-password", "ok"], ["user.sign-out-all", "ok"],
      ["user.make-admin", "ok"], ["user.remove-admin", "ok"], ["user.send-notice", "ok"], ["user.deactivate", "ok"], ["user.reactivate", "ok"],
    ]);
    expect(rows.every((r) => r.actor === ADMIN.userId && r.target === u.name)).toBe(true);
    // The password never reaches the audit log.
    expect(JSON.stringify(rows)).not.toContain("new-password-1");
    expect(JSON.stringify(rows)).not.toContain("back-again-1");
  });

  it("guard rails: no self-lock, self-deactivate, self-demotion; refused, audited, nothing changed", async () => {
    for (const action of ["lock", "remove-admin", "sign-out-all"] as const) {
      const r = await act(ADMIN.userId, { action });
      expect(r).toMatchObject({ ok: false, refused: true });
    }
    expect(await act(ADMIN.userId, { action: "deactivate", erase: false })).toMatchObject({ ok: false, refused: true, error: "You cannot deactivate the account you are signed in with." });
    expect(await act(ADMIN.userId, { action: "sign-out-device", deviceId: "STEWARDSIM" })).toMatchObject({ ok: false, refused: true });
    expect(sim.state.users.get(ADMIN.userId)).toMatchObject({ locked: false, admin: true, deactivated: false });
    expect(sim.state.devices.get(ADMIN.userId)!.has("STEWARDSIM")).toBe(true);
    expect((await audit()).map((r) => r.outcome)).toEqual(["refused", "refused", "refused", "refused", "refused"]);
  });

  it("remote users, unknown users and guests: refused or offered nothing that cannot apply", async () => {
    expect(await act("@x:elsewhere.test", { action: "lock" })).toMatchObject({ ok: false, refused: true });
    expect(await loadActionTarget(hs(), "@nobody:sim.test", "sim.test")).toMatchObject({ ok: false, status: 404 });
    const guest = addUser(sim.state, { localpart: "9999", is_guest: true }, sim.clock.now());
    const lookup = await loadActionTarget(hs(), guest.name, "sim.test");
    expect(lookup.ok).toBe(true);
    const offered = offeredActions((lookup as { ok: true; target: never }).target, ADMIN, () => true);
    expect(offered).not.toContain("reset-password");
    expect(offered).not.toContain("make-admin");
    expect(await act(guest.name, { action: "reset-password", password: "whatever-1", signOutAll: true })).toMatchObject({ ok: false, refused: true });
    expect(sim.state.users.get(guest.name)!.password).toBe(null);
  });

  it("a replayed form acts once", async () => {
    const u = user();
    const formId = newFormId();
    expect(await act(u.name, { action: "make-admin" }, formId)).toEqual({ ok: true });
    await act(u.name, { action: "remove-admin" });
    const again = await act(u.name, { action: "make-admin" }, formId);
    expect(again).toMatchObject({ ok: false, refused: true });
    expect(sim.state.users.get(u.name)!.admin).toBe(false);
  });

  it("a homeserver failure is reported in words, settled as an error, and nothing is claimed", async () => {
    const u = user();
    sim.injectFault({ kind: "status500", path: "/_synapse/admin/v1/deactivate/" });
    try {
      const r = await act(u.name, { action: "deactivate", erase: true });
      expect(r).toMatchObject({ ok: false, refused: false });
      expect((r as { error: string }).error).toMatch(/internal error \(HTTP 500\)/);
    } finally {
      sim.clearFaults();
    }
    expect(sim.state.users.get(u.name)!.deactivated).toBe(false);
    expect((await audit())[0]).toMatchObject({ action: "user.deactivate", outcome: "error" });
  });
});

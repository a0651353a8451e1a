// Bulk sign-out jobs (issue 15, decision 020) on the simulator and a real database: the plan comes from the latest
// scan and the report's filter; the job re-checks each session before acting, acts once per device, audits each,
// rides out 500/429/timeouts, stops with the reason on a 403 (admin rights lost) and resumes without repeating or
// skipping; two runners never run it twice; the report reflects the job at once.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { and, asc, eq } from "drizzle-orm";
import { createHomeserverClient } from "../../app/homeserver";
import { POSTURE_DEFAULTS } from "../../app/config.server";
import { runPostureScan } from "../../app/services/posture/scan.server";
import { latestCompleteScan } from "../../app/services/posture/report.server";
import { userActionsBackend } from "../../app/services/users/actions/target.server";
import { createBulkJob, planSignOut } from "../../app/services/users/bulk/plan.server";
import { runBulkJobs } from "../../app/services/users/bulk/run.server";
import { auditEvents, postureUsers, userBulkItems, userBulkJobs } from "../../db/schema";
import { createTestDb, type TestDatabase } from "../helpers/db";
import { startSimulator, type Simulator } from "../simulator/index";
import { addDevice, addUser } from "../simulator/state";
import { crossSignDevice, setUpCrossSigning, uploadDeviceKeys } from "../simulator/seed-posture";

const DAY = 86_400_000;
const ACTOR = { userId: "@admin:sim.test", deviceId: "STEWARDSIM" };
let sim: Simulator;
let database: TestDatabase;

beforeAll(async () => {
  sim = await startSimulator({ users: 0 });
});
afterAll(() => sim.close());
beforeEach(async () => {
  database = await createTestDb();
});
afterEach(async () => {
  sim.clearFaults();
  sim.setLatency(0);
  await database.close();
});

const hs = (maxRetries = 1) => createHomeserverClient({ baseUrl: sim.url, accessToken: sim.adminToken, maxRetries, timeoutMs: 2_000 });
let n = 0;
/** A user with two stale sessions (unseen 100 days), one fresh one, and one unverified (keys not cross-signed). */
function user(group: string) {
  const u = addUser(sim.state, { localpart: `${group}-${++n}`, password: "pw-pw-pw" }, sim.clock.now());
  const now = Date.now();
  addDevice(sim.state, u.name, { device_id: "OLD1", display_name: "Old phone", last_seen_ts: now - 100 * DAY, last_seen_ip: "10.0.0.1" });
  addDevice(sim.state, u.name, { device_id: "OLD2", display_name: "Old laptop", last_seen_ts: now - 200 * DAY, last_seen_ip: "10.0.0.2" });
  addDevice(sim.state, u.name, { device_id: "NEW", display_name: "Phone", last_seen_ts: now - DAY, last_seen_ip: "10.0.0.3" });
  setUpCrossSigning(sim.state, u.name);
  for (const d of ["OLD1", "OLD2", "NEW"]) {
    uploadDeviceKeys(sim.state, u.name, d);
    crossSignDevice(sim.state, u.name, d);
  }
  addDevice(sim.state, u.name, { device_id: "ROGUE", display_name: "Unknown browser", last_seen_ts: now - DAY, last_seen_ip: "203.0.113.9" });
  uploadDeviceKeys(sim.state, u.name, "ROGUE");
  return u.name;
}
const devicesOf = (userId: string) => [...(sim.state.devices.get(userId)?.keys() ?? [])].sort();

async function scan() {
  await runPostureScan({ db: database.db, hs: hs(), now: () => new Date(), settings: { ...POSTURE_DEFAULTS, staleDays: 90 } });
}
async function job(kind: "sign-out-stale" | "sign-out-unverified", q?: string) {
  const plan = await planSignOut(database.db, { kind, filter: { include: [], q }, days: 90, now: Date.now(), actor: ACTOR });
  const r = await createBulkJob(database.db, { kind, actor: ACTOR.userId, formId: `form-${kind}-${++n}-xxxxxxxxxx`, days: kind === "sign-out-stale" ? 90 : null, filterText: "test", items: plan.items, now: new Date() });
  if (!r.ok) throw new Error(r.error);
  return { jobId: r.jobId, plan };
}
const run = (over: Partial<Parameters<typeof runBulkJobs>[0]> = {}) =>
  runBulkJobs({ db: database.db, database, hs: hs(), backend: userActionsBackend(hs()), now: () => new Date(), concurrency: 4, retryPausesMs: [50, 100, 200, 400], ...over });
const items = (jobId: number) => database.db.select().from(userBulkItems).where(eq(userBulkItems.jobId, jobId)).orderBy(asc(userBulkItems.userId), asc(userBulkItems.deviceId));
const jobRow = async (jobId: number) => (await database.db.select().from(userBulkJobs).where(eq(userBulkJobs.id, jobId)))[0];
const deletes = () => sim.requestLog.filter((r) => r.method === "POST" && r.path.endsWith("/delete_devices") && r.status === 200).length;

describe("bulk sign-out jobs", () => {
  it("signs out exactly the stale sessions of the filter, audits each, and the report reflects it at once", async () => {
    const users = [user("stale"), user("stale"), user("stale")];
    await scan();
    const { jobId, plan } = await job("sign-out-stale", "stale-");
    expect(plan.items.map((i) => `${i.userId} ${i.deviceId} ${i.lastSeenIp}`)).toEqual(users.flatMap((u) => [`${u} OLD1 10.0.0.1`, `${u} OLD2 10.0.0.2`]));
    // Used since the preview: left alone when its turn comes.
    sim.state.devices.get(users[1])!.get("OLD1")!.last_seen_ts = Date.now();
    expect(await run()).toBe(1);
    expect(devicesOf(users[0])).toEqual(["NEW", "ROGUE"]);
    expect(devicesOf(users[1])).toEqual(["NEW", "OLD1", "ROGUE"]);
    expect(devicesOf(users[2])).toEqual(["NEW", "ROGUE"]);
    const its = await items(jobId);
    expect(its.filter((i) => i.status === "done")).toHaveLength(5);
    expect(its.find((i) => i.userId === users[1] && i.deviceId === "OLD1")).toMatchObject({ status: "skipped", reason: "Used since the list was made." });
    expect((await jobRow(jobId)).status).toBe("done");
    const audit = await database.db.select().from(auditEvents).where(eq(auditEvents.action, "user.bulk.sign-out-stale"));
    expect(audit.map((a) => `${a.target} ${(a.detail as { deviceId: string }).deviceId} ${a.outcome}`).sort()).toEqual(
      [`${users[0]} OLD1 ok`, `${users[0]} OLD2 ok`, `${users[1]} OLD2 ok`, `${users[2]} OLD1 ok`, `${users[2]} OLD2 ok`].sort(),
    );
    const scanRow = await latestCompleteScan(database.db);
    const row = (await database.db.select().from(postureUsers).where(and(eq(postureUsers.scanId, scanRow!.id), eq(postureUsers.userId, users[0]))))[0];
    expect(row).toMatchObject({ devices: 2, staleDevices: 0 });
    // users[1]'s remaining old session was used since: no one is left with a stale session, and the cards say so.
    expect(scanRow!.summary!.categories!.active.stale!.users).toBe(0);
  });

  it("signs out unverified sessions, re-checking verification first", async () => {
    const users = [user("unverified"), user("unverified")];
    await scan();
    const { jobId, plan } = await job("sign-out-unverified", "unverified-");
    expect(plan.items.map((i) => `${i.userId} ${i.deviceId}`)).toEqual(users.map((u) => `${u} ROGUE`));
    crossSignDevice(sim.state, users[0], "ROGUE"); // verified since the preview
    await run();
    expect(devicesOf(users[0])).toContain("ROGUE");
    expect(devicesOf(users[1])).not.toContain("ROGUE");
    expect((await items(jobId)).map((i) => i.status)).toEqual(["skipped", "done"]);
    const row = (await database.db.select().from(postureUsers).where(eq(postureUsers.userId, users[1])))[0];
    expect(row).toMatchObject({ unverifiedDevices: 0, noUnverifiedSessions: "ok" });
  });

  it("rides out 500s, 429s and timeouts without repeating or skipping a device", async () => {
    const users = [user("faults"), user("faults"), user("faults"), user("faults")];
    await scan();
    const { jobId } = await job("sign-out-stale", "faults-");
    sim.injectFault({ kind: "status500", path: /\/delete_devices$/, times: 3 });
    sim.injectFault({ kind: "status429", path: /\/devices$/, method: "GET", times: 2 });
    sim.injectFault({ kind: "timeout", path: /\/delete_devices$/, times: 1 });
    const before = deletes();
    await run();
    for (const u of users) expect(devicesOf(u)).toEqual(["NEW", "ROGUE"]);
    expect((await items(jobId)).every((i) => i.status === "done")).toBe(true);
    // One successful sign-out call per user; each device audited exactly once.
    expect(deletes() - before).toBe(users.length);
    const audit = await database.db.select().from(auditEvents).where(eq(auditEvents.action, "user.bulk.sign-out-stale"));
    const keys = audit.map((a) => `${a.target} ${(a.detail as { deviceId: string }).deviceId}`);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it("stops with the reason when admin rights are lost, and resumes without repeating or skipping", async () => {
    const users = [user("lost"), user("lost"), user("lost"), user("lost"), user("lost"), user("lost")];
    await scan();
    const { jobId } = await job("sign-out-stale", "lost-");
    const admin = sim.state.users.get(ACTOR.userId)!;
    // The right is lost after the first sign-out went through.
    let first = true;
    const backend = userActionsBackend(hs());
    const wrapped = {
      ...backend,
      async signOutDevices(userId: string, ids: string[]) {
        await backend.signOutDevices(userId, ids);
        if (first) {
          first = false;
          admin.admin = false;
        }
      },
    };
    await run({ backend: wrapped, concurrency: 1 });
    const stopped = await jobRow(jobId);
    expect(stopped.status).toBe("stopped");
    expect(stopped.error).toMatch(/no longer a server admin/);
    const after = await items(jobId);
    expect(after.filter((i) => i.status === "done").length).toBeGreaterThan(0);
    expect(after.filter((i) => i.status === "pending").length).toBeGreaterThan(0);
    expect(after.some((i) => i.status === "acting")).toBe(false);
    admin.admin = true;
    await database.db.update(userBulkJobs).set({ status: "queued" }).where(eq(userBulkJobs.id, jobId));
    await run();
    expect((await jobRow(jobId)).status).toBe("done");
    for (const u of users) expect(devicesOf(u)).toEqual(["NEW", "ROGUE"]);
    const audit = await database.db.select().from(auditEvents).where(eq(auditEvents.action, "user.bulk.sign-out-stale"));
    const mine = audit.filter((a) => users.includes(a.target!));
    expect(mine).toHaveLength(users.length * 2);
    expect(mine.every((a) => a.outcome === "ok")).toBe(true);
  });

  it("a device marked as being acted on when the process died counts as done once gone, never acted on twice", async () => {
    const u = user("crash");
    await scan();
    const { jobId } = await job("sign-out-stale", u);
    // What a SIGKILL between the call and its record leaves: items "acting", the device already gone.
    await database.db.update(userBulkItems).set({ status: "acting" }).where(and(eq(userBulkItems.jobId, jobId), eq(userBulkItems.deviceId, "OLD1")));
    await database.db.update(userBulkJobs).set({ status: "running" }).where(eq(userBulkJobs.id, jobId));
    sim.state.devices.get(u)!.delete("OLD1");
    await run();
    expect((await items(jobId)).map((i) => `${i.deviceId} ${i.status}`)).toEqual(["OLD1 done", "OLD2 done"]);
    expect(devicesOf(u)).toEqual(["NEW", "ROGUE"]);
  });

  it("two runners never run the same job at once", async () => {
    user("locking");
    await scan();
    await job("sign-out-stale", "locking-");
    sim.setLatency(30);
    const [a, b] = await Promise.all([run(), run()]);
    expect([a, b].sort()).toEqual([1, "busy"].sort());
  });
});

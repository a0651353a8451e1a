/**
 * A bulk sign-out job killed with SIGKILL mid-way (decision 020): the child process runs the job through a proxy
 * that lets the homeserver sign a user's sessions out and then never answers — the worst moment — and is killed
 * there. The resumed job finishes the rest: every listed session signed out, each with exactly one sign-out call
 * and one audit entry, none skipped.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { asc, eq } from "drizzle-orm";
import { openDatabase, type Database } from "../../db/client";
import { auditEvents, userBulkItems, userBulkJobs } from "../../db/schema";
import { createHomeserverClient } from "../../app/homeserver/index";
import { POSTURE_DEFAULTS } from "../../app/config.server";
import { runPostureScan } from "../../app/services/posture/scan.server";
import { userActionsBackend } from "../../app/services/users/actions/target.server";
import { createBulkJob, planSignOut } from "../../app/services/users/bulk/plan.server";
import { runBulkJobs } from "../../app/services/users/bulk/run.server";
import { startSimulator, type Simulator } from "../simulator/index";
import { addDevice, addUser } from "../simulator/state";
import { createTestDb, usingPostgres, type TestDatabase } from "../helpers/db";
import { startHoldProxy, type HoldProxy } from "../helpers/hold-proxy";
import { startChild } from "../helpers/child";

const DAY = 86_400_000;
let sim: Simulator;
let proxy: HoldProxy;
let pgDb: TestDatabase | undefined;
let dataDir: string;
const USERS = ["@kim1:sim.test", "@kim2:sim.test", "@kim3:sim.test", "@kim4:sim.test"];

beforeAll(async () => {
  sim = await startSimulator({ users: 0 });
  for (const u of USERS) {
    addUser(sim.state, { localpart: u.slice(1, u.indexOf(":")), password: "pw-pw-pw" }, sim.clock.now());
    addDevice(sim.state, u, { device_id: "OLDA", last_seen_ts: Date.now() - 300 * DAY });
    addDevice(sim.state, u, { device_id: "OLDB", last_seen_ts: Date.now() - 200 * DAY });
    addDevice(sim.state, u, { device_id: "KEEP", last_seen_ts: Date.now() - DAY });
  }
  proxy = await startHoldProxy(sim.url);
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "steward-bulk-crash-"));
  if (usingPostgres) pgDb = await createTestDb();
  else {
    const d = await openDatabase({ dataDir });
    await d.migrate();
    await d.close();
  }
}, 60_000);
afterAll(async () => {
  await pgDb?.close();
  await proxy?.close();
  await sim?.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

async function withDb<T>(fn: (d: Database) => Promise<T>): Promise<T> {
  if (pgDb) return fn(pgDb);
  const d = await openDatabase({ dataDir });
  try {
    return await fn(d);
  } finally {
    await d.close();
  }
}
const hs = () => createHomeserverClient({ baseUrl: sim.url, accessToken: sim.adminToken });
const signOutCalls = (u: string) =>
  sim.requestLog.filter((r) => r.method === "POST" && r.status === 200 && r.path === `/_synapse/admin/v2/users/${encodeURIComponent(u)}/delete_devices`).length;

describe("SIGKILL mid bulk job", () => {
  it("resumes without signing a session out twice and without skipping one", async () => {
    const jobId = await withDb(async (d) => {
      await runPostureScan({ db: d.db, hs: hs(), now: () => new Date(), settings: { ...POSTURE_DEFAULTS, staleDays: 90 } });
      const plan = await planSignOut(d.db, { kind: "sign-out-stale", filter: { include: [], q: "kim" }, days: 90, now: Date.now(), actor: { userId: "@admin:sim.test", deviceId: null } });
      expect(plan.items).toHaveLength(USERS.length * 2);
      const r = await createBulkJob(d.db, { kind: "sign-out-stale", actor: "@admin:sim.test", formId: "crash-form-000000000001", days: 90, filterText: "kim", items: plan.items, now: new Date() });
      if (!r.ok) throw new Error(r.error);
      return r.jobId;
    });
    // The second user's sessions are signed out on the homeserver; the process dies before it hears so.
    const held = proxy.hold((m, p) => m === "POST" && p.endsWith("/delete_devices"), 2);
    const child = startChild("tests/helpers/crash-worker.ts", [], {
      CRASH_JOB: "bulk",
      HS_URL: proxy.url,
      HS_TOKEN: sim.adminToken,
      DATABASE_URL: pgDb?.url ?? "",
      STEWARD_DATA_DIR: dataDir,
      LOG_LEVEL: "error",
    });
    await Promise.race([held, child.exited.then((exit) => Promise.reject(new Error(`child exited early (${JSON.stringify(exit)}): ${child.stdout()} ${child.stderr()}`)))]);
    child.proc.kill("SIGKILL");
    expect(await child.exited).toEqual({ code: null, signal: "SIGKILL" });
    expect(USERS.map((u) => sim.state.devices.get(u)!.has("OLDA"))).toEqual([false, false, true, true]);

    await withDb(async (d) => {
      const before = await d.db.select().from(userBulkItems).where(eq(userBulkItems.jobId, jobId)).orderBy(asc(userBulkItems.userId), asc(userBulkItems.deviceId));
      // Outcomes are recorded a round of users at a time: both users signed out so far are still marked "acting"
      // (signed out on the homeserver, not yet recorded); the others wait.
      expect(before.map((i) => i.status)).toEqual(["acting", "acting", "acting", "acting", "pending", "pending", "pending", "pending"]);
      // A restarted Steward (any replica) picks the job up.
      expect(await runBulkJobs({ db: d.db, database: d, hs: hs(), backend: userActionsBackend(hs()), now: () => new Date(), concurrency: 2 })).toBe(1);
      const [job] = await d.db.select().from(userBulkJobs).where(eq(userBulkJobs.id, jobId));
      expect(job).toMatchObject({ status: "done", runs: 2 });
      const after = await d.db.select().from(userBulkItems).where(eq(userBulkItems.jobId, jobId));
      expect(after.every((i) => i.status === "done")).toBe(true);
      const audit = await d.db.select().from(auditEvents).where(eq(auditEvents.action, "user.bulk.sign-out-stale"));
      expect(audit).toHaveLength(USERS.length * 2);
      expect(new Set(audit.map((a) => `${a.target} ${(a.detail as { deviceId: string }).deviceId}`)).size).toBe(USERS.length * 2);
    });
    for (const u of USERS) {
      expect([...sim.state.devices.get(u)!.keys()]).toEqual(["KEEP"]);
      expect(signOutCalls(u)).toBe(1); // never twice, never skipped
    }
  }, 180_000);
});

/**
 * Crash safety: a process killed with SIGKILL in the middle of a token issue, a posture scan or a nudge batch leaves
 * nothing the next run does not repair. The service runs in a child process (tests/helpers/crash-worker.ts) on the
 * same database as this test (PostgreSQL, or an embedded data directory whose lock the next opener takes over);
 * a proxy in front of the simulator lets the homeserver do the work and then holds the answer, and the child is
 * killed right there — the worst moment: done on the homeserver, unknown to Steward.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { and, eq } from "drizzle-orm";
import { openDatabase, type Database } from "../../db/client";
import { postureNudges, postureScans, postureUsers, registrationTokenRecords } from "../../db/schema";
import { createHomeserverClient } from "../../app/homeserver/index";
import { listTokens } from "../../app/services/tokens.server";
import { runPostureScan } from "../../app/services/posture-scan.server";
import { postureSettings } from "../../app/services/posture-settings.server";
import { sendNudges } from "../../app/services/nudge.server";
import { startSimulator, type Simulator } from "../simulator/index";
import { createTestDb, usingPostgres, type TestDatabase } from "../helpers/db";
import { startHoldProxy, type HoldProxy } from "../helpers/hold-proxy";
import { startChild } from "../helpers/child";

const ADMIN = "@admin:sim.test";
let sim: Simulator;
let proxy: HoldProxy;
let pgDb: TestDatabase | undefined;
let dataDir: string;

beforeAll(async () => {
  sim = await startSimulator({ users: 30, seed: 9 });
  proxy = await startHoldProxy(sim.url);
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "steward-crash-"));
  if (usingPostgres) pgDb = await createTestDb();
  else {
    // Migrate once here so each child starts quickly; the child and this test take turns on the directory.
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

/** Steward's database for the checks after the crash (for the embedded one: opened after the child died). */
async function withDb<T>(fn: (d: Database) => Promise<T>): Promise<T> {
  if (pgDb) return fn(pgDb);
  const d = await openDatabase({ dataDir });
  try {
    return await fn(d);
  } finally {
    await d.close();
  }
}

/** Runs the job in a child, waits until the proxy holds the chosen request, and SIGKILLs the child there. */
async function killMidway(job: string, args: Record<string, unknown>, held: Promise<void>) {
  const child = startChild("tests/helpers/crash-worker.ts", [], {
    CRASH_JOB: job,
    CRASH_ARGS: JSON.stringify(args),
    HS_URL: proxy.url,
    HS_TOKEN: sim.adminToken,
    DATABASE_URL: pgDb?.url ?? "",
    STEWARD_DATA_DIR: dataDir,
    LOG_LEVEL: "error",
  });
  await Promise.race([held, child.exited.then((exit) => Promise.reject(new Error(`child exited early (${JSON.stringify(exit)}): ${child.stdout()} ${child.stderr()}`)))]);
  child.proc.kill("SIGKILL");
  expect(await child.exited).toEqual({ code: null, signal: "SIGKILL" });
  expect(child.lines().some((l) => l.msg === "done")).toBe(false);
}

const hs = () => createHomeserverClient({ baseUrl: sim.url, accessToken: sim.adminToken });

describe("SIGKILL mid-way", () => {
  it("a token issue: the token created on the homeserver shows up in Steward's list at the next look", async () => {
    const before = new Set(sim.state.registrationTokens.keys());
    const held = proxy.hold((m, p) => m === "POST" && p === "/_synapse/admin/v1/registration_tokens/new");
    await killMidway("issue", { issuedFor: "Crash victim", actor: ADMIN }, held);
    const created = [...sim.state.registrationTokens.keys()].filter((t) => !before.has(t));
    expect(created).toHaveLength(1); // the homeserver did create it
    await withDb(async (d) => {
      expect(await d.db.select().from(registrationTokenRecords).where(eq(registrationTokenRecords.token, created[0]))).toEqual([]);
      const list = await listTokens({ db: d.db, hs: hs() });
      const shown = list.find((t) => t.token === created[0]);
      // Not lost: listed (as created outside Steward, ready to adopt) and recorded from now on.
      expect(shown).toMatchObject({ onHomeserver: true, origin: "outside", state: "valid" });
      expect((await d.db.select().from(registrationTokenRecords).where(eq(registrationTokenRecords.token, created[0]))).length).toBe(1);
    });
  }, 120_000);

  it("a posture scan: the next run resumes where the dead one stopped and completes", async () => {
    const batchSize = 8;
    // The third page of users (the next page is fetched while one is scanned): the first page is stored.
    const held = proxy.hold((m, p) => m === "GET" && /^\/_synapse\/admin\/v[23]\/users$/.test(p), 3);
    await killMidway("scan", { batchSize }, held);
    await withDb(async (d) => {
      const [open] = await d.db.select().from(postureScans).where(eq(postureScans.status, "running"));
      expect(open).toBeDefined();
      const stored = await d.db.select().from(postureUsers).where(eq(postureUsers.scanId, open.id));
      expect(stored.length).toBeGreaterThan(0);
      expect(stored.length).toBeLessThan(sim.state.users.size);
      const settings = { ...postureSettings({}, {}), batchSize, concurrency: 2 };
      const resumed = await runPostureScan({ db: d.db, hs: hs(), now: () => new Date(), settings });
      expect(resumed).toMatchObject({ scanId: open.id, resumed: true, status: "complete" });
      const all = await d.db.select().from(postureUsers).where(eq(postureUsers.scanId, open.id));
      expect(new Set(all.map((r) => r.userId)).size).toBe(all.length); // nobody twice
      expect(all.length).toBe(resumed.usersScanned);
      expect(all.length).toBeGreaterThanOrEqual(stored.length);
    });
  }, 120_000);

  it("a nudge batch: resending the batch delivers the rest and never sends a notice twice", async () => {
    const users = [...sim.state.users.values()].filter((u) => !u.admin && !u.is_guest && !u.deactivated).slice(0, 3).map((u) => u.name);
    const noticesTo = (u: string) => sim.state.posture.notices.filter((n) => n.user_id === u).length;
    const before = users.map(noticesTo);
    const args = { batchId: "crash-batch-0001", actor: ADMIN, userIds: users, body: "Please set up your secure key, {user_id}." };
    // The second notice is delivered, and the process dies before it hears so.
    const held = proxy.hold((m, p) => m === "PUT" && p.startsWith("/_synapse/admin/v1/send_server_notice/"), 2);
    await killMidway("nudge", args, held);
    expect(users.map(noticesTo)).toEqual([before[0] + 1, before[1] + 1, before[2]]);
    await withDb(async (d) => {
      // The admin resubmits the same batch (same form, same batch id).
      const outcome = await sendNudges(d.db, hs(), { ...args, now: new Date(), concurrency: 1 });
      expect(outcome.failed).toBe(0);
      expect(users.map(noticesTo)).toEqual(before.map((n) => n + 1)); // each exactly once
      const rows = await d.db.select().from(postureNudges).where(and(eq(postureNudges.batchId, args.batchId)));
      expect(rows.map((r) => r.status)).toEqual(["sent", "sent", "sent"]);
    });
  }, 120_000);
});

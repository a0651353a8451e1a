/**
 * Crash safety: a process killed with SIGKILL in the middle of a token issue, a posture scan or a nudge batch leaves
 * nothing the next run does not repair (a token issue: the record and a pending audit entry are written ahead of
 * the homeserver call, and settled by the start-up repair or the next look at the tokens — decision 009). The service runs in a child process (tests/helpers/crash-worker.ts) on the
 * same database as this test (PostgreSQL, or an embedded data directory whose lock the next opener takes over);
 * a proxy in front of the simulator lets the homeserver do the work and then holds the answer, and the child is
 * killed right there — the worst moment: done on the homeserver, unknown to Steward.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { and, asc, eq } from "drizzle-orm";
import { openDatabase, type Database } from "../../db/client";
import { auditEvents, postureNudges, postureScans, postureUsers, registrationTokenRecords } from "../../db/schema";
import { createHomeserverClient } from "../../app/homeserver/index";
import { listTokens } from "../../app/services/tokens/tokens.server";
import { ISSUE_GRACE_MS } from "../../app/services/tokens/issue-journal.server";
import { loadConfig, POSTURE_DEFAULTS } from "../../app/config.server";
import { createStewardContext } from "../../app/context.server";
import { createLogger } from "../../app/services/observability/log.server";
import { MetricsRegistry } from "../../app/services/observability/metrics.server";
import { repairTokenIssues } from "../../server/token-repair";
import { runPostureScan } from "../../app/services/posture/scan.server";
import { sendNudges } from "../../app/services/posture/nudge.server";
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
const afterGrace = () => new Date(Date.now() + ISSUE_GRACE_MS + 1_000);
const audits = (d: Database, token: string) =>
  d.db.select().from(auditEvents).where(and(eq(auditEvents.action, "token.create"), eq(auditEvents.target, token))).orderBy(asc(auditEvents.id));
/** What a restarted Steward has at start-up: its database, and the collectors' admin token for the homeserver. */
const contextFor = (d: Database) =>
  createStewardContext(
    loadConfig({ NODE_ENV: "test", HOMESERVER_URL: sim.url, HOMESERVER_ADMIN_TOKEN: sim.adminToken, SESSION_SECRET: "test-secret-test-secret-test-secret-0123456789", STEWARD_DATA_DIR: dataDir }),
    d,
    createLogger("error", { service: "crash-test" }, () => {}),
    new MetricsRegistry(),
  );

describe("SIGKILL mid-way", () => {
  it("a token issue: written ahead, the record and its pending audit entry survive; the start-up repair settles them and the token shows with its recipient", async () => {
    const before = new Set(sim.state.registrationTokens.keys());
    const held = proxy.hold((m, p) => m === "POST" && p === "/_synapse/admin/v1/registration_tokens/new");
    await killMidway("issue", { issuedFor: "Crash victim", actor: ADMIN }, held);
    const created = [...sim.state.registrationTokens.keys()].filter((t) => !before.has(t));
    expect(created).toHaveLength(1); // the homeserver did create it
    const token = created[0];
    await withDb(async (d) => {
      const [rec] = await d.db.select().from(registrationTokenRecords).where(eq(registrationTokenRecords.token, token));
      expect(rec).toMatchObject({ origin: "steward", issuedBy: ADMIN, issuedFor: "Crash victim" });
      expect(rec.issuePendingSince).toBeInstanceOf(Date);
      const [pending] = await audits(d, token);
      expect(pending).toMatchObject({ id: rec.issueAuditId, actor: ADMIN, outcome: "pending" });

      // Within the grace period the issue might still be in flight: a look shows it as being issued, for its recipient.
      const early = (await listTokens({ db: d.db, hs: hs() })).find((t) => t.token === token);
      expect(early).toMatchObject({ issuing: true, issuedFor: "Crash victim" });

      // The next start, once the grace period has passed (the clock is moved, not waited for).
      const result = await repairTokenIssues(contextFor(d), afterGrace());
      expect(result).toMatchObject({ recovered: [token], interrupted: [] });
      const settled = await audits(d, token);
      expect(settled).toHaveLength(1); // the pending entry itself, settled; no second one
      expect(settled[0]).toMatchObject({ id: pending.id, outcome: "ok", detail: { issuedFor: "Crash victim", recovered: true } });
      const shown = (await listTokens({ db: d.db, hs: hs() })).find((t) => t.token === token);
      expect(shown).toMatchObject({ onHomeserver: true, origin: "steward", issuedBy: ADMIN, issuedFor: "Crash victim", state: "valid", issuing: false });
      const [after] = await d.db.select().from(registrationTokenRecords).where(eq(registrationTokenRecords.token, token));
      expect(after).toMatchObject({ issuePendingSince: null, issueAuditId: null, usesAllowed: 1 });
    });
  }, 120_000);

  it("a token issue the homeserver never carried out: the next look settles the entry as interrupted and shows no token", async () => {
    const before = new Set(sim.state.registrationTokens.keys());
    // The create never reaches the homeserver (connection dropped); Steward then asks whether the token exists, and
    // dies waiting for the answer — after the write-ahead, before anything settled it.
    sim.injectFault({ kind: "drop", method: "POST", path: "/_synapse/admin/v1/registration_tokens/new", times: 1 });
    const held = proxy.hold((m, p) => m === "GET" && p.startsWith("/_synapse/admin/v1/registration_tokens/"), 2);
    await killMidway("issue", { issuedFor: "Never issued", actor: ADMIN }, held);
    sim.clearFaults();
    expect([...sim.state.registrationTokens.keys()].filter((t) => !before.has(t))).toEqual([]);
    await withDb(async (d) => {
      const [rec] = await d.db.select().from(registrationTokenRecords).where(eq(registrationTokenRecords.issuedFor, "Never issued"));
      expect(rec.issuePendingSince).toBeInstanceOf(Date);
      expect(await audits(d, rec.token)).toMatchObject([{ id: rec.issueAuditId, outcome: "pending" }]);
      const list = await listTokens({ db: d.db, hs: hs(), now: afterGrace });
      expect(list.find((t) => t.token === rec.token)).toBeUndefined();
      expect(await d.db.select().from(registrationTokenRecords).where(eq(registrationTokenRecords.token, rec.token))).toEqual([]);
      const settled = await audits(d, rec.token);
      expect(settled).toHaveLength(1);
      expect(settled[0]).toMatchObject({ id: rec.issueAuditId, outcome: "error", detail: { issuedFor: "Never issued", interrupted: true } });
    });
  }, 120_000);

  it("a posture scan: the next run resumes where the dead one stopped and completes", async () => {
    const batchSize = 8;
    // Pages overlap: page N+2's list is asked for once page N is written (and page N+1 is queued). Holding the
    // fourth list request kills the scan after the first page is stored and before the last one is.
    const held = proxy.hold((m, p) => m === "GET" && /^\/_synapse\/admin\/v[23]\/users$/.test(p), 4);
    await killMidway("scan", { batchSize }, held);
    await withDb(async (d) => {
      const [open] = await d.db.select().from(postureScans).where(eq(postureScans.status, "running"));
      expect(open).toBeDefined();
      const stored = await d.db.select().from(postureUsers).where(eq(postureUsers.scanId, open.id));
      expect(stored.length).toBeGreaterThan(0);
      expect(stored.length).toBeLessThan(sim.state.users.size);
      const settings = { ...POSTURE_DEFAULTS, batchSize, concurrency: 2 };
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

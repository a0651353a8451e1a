/**
 * The collector framework: run records, failure descriptions, abandoned runs, the advisory lock between
 * processes, backoff, "refresh now" through the real server, and `npm run collect`.
 */
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eq } from "drizzle-orm";
import { createTestDb, usingPostgres, type TestDatabase } from "../helpers/db";
import { openDatabase } from "../../db/client";
import { collectorRuns, auditEvents } from "../../db/schema";
import { loadConfig } from "../../app/config.server";
import { createLogger } from "../../app/services/observability/log.server";
import { collectorStatus, nextDueAt, runCollector, type CollectorDefinition } from "../../app/services/collectors/framework.server";
import { COLLECTORS } from "../../app/services/collectors/registry.server";
import { createHomeserverClient } from "../../app/homeserver/index";
import { startSimulator, type Simulator } from "../simulator/index";
import { startTestSteward, type TestSteward } from "../helpers/steward";
import { TestClient } from "../helpers/http";
import { attachCollectors } from "../../server/collectors";

const config = loadConfig({ NODE_ENV: "test", HOMESERVER_URL: "http://127.0.0.1:1", SESSION_SECRET: "x".repeat(40), STEWARD_DATA_DIR: os.tmpdir() });
const log = createLogger("error");
let sim: Simulator;
let database: TestDatabase;

beforeAll(async () => {
  sim = await startSimulator({ users: 5 });
  database = await createTestDb();
});
afterAll(async () => {
  await database?.close();
  await sim?.close();
});

const hs = () => createHomeserverClient({ baseUrl: sim.url, accessToken: sim.adminToken, maxRetries: 0 });

function def(name: string, run: CollectorDefinition["run"]): CollectorDefinition {
  return { name, title: name, defaultIntervalSeconds: 60, run };
}

describe("runCollector", () => {
  it("records a successful run with its items and progress", async () => {
    const seen: number[] = [];
    const outcome = await runCollector({ database, config, log }, def("ok-one", async (ctx) => {
      await ctx.progress(1, 2);
      seen.push(ctx.runId);
      return { items: 2, total: 2, summary: "2 things" };
    }), hs(), "manual");
    expect(outcome.status).toBe("ok");
    const [row] = await database.db.select().from(collectorRuns).where(eq(collectorRuns.collector, "ok-one"));
    expect(row).toMatchObject({ status: "ok", items: 2, total: 2, trigger: "manual", error: null });
    expect(row.finishedAt).toBeInstanceOf(Date);
    expect(seen).toEqual([row.id]);
  });

  it("records a failure with a plain description of a homeserver error", async () => {
    sim.injectFault({ kind: "status500", path: "/_synapse/admin/v1/server_version" });
    try {
      const outcome = await runCollector({ database, config, log }, def("fails", async (ctx) => {
        await ctx.hs.server.serverVersion();
        return { items: 0 };
      }), hs(), "schedule");
      expect(outcome.status).toBe("failed");
      const [row] = await database.db.select().from(collectorRuns).where(eq(collectorRuns.collector, "fails"));
      expect(row.status).toBe("failed");
      expect(row.error).toMatch(/homeserver/i);
      expect(row.error).not.toContain(sim.adminToken);
    } finally {
      sim.clearFaults();
    }
  });

  it("marks a run left 'running' by a dead process as abandoned", async () => {
    await database.db.insert(collectorRuns).values({ collector: "crashy", startedAt: new Date(Date.now() - 60_000), status: "running" });
    await runCollector({ database, config, log }, def("crashy", async () => ({ items: 1 })), hs(), "schedule");
    const rows = await database.db.select().from(collectorRuns).where(eq(collectorRuns.collector, "crashy"));
    expect(rows.map((r) => r.status).sort()).toEqual(["abandoned", "ok"]);
  });

  it("never runs the same collector twice at once, also from a second process's connection pool", async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let entered!: () => void;
    const inside = new Promise<void>((r) => (entered = r));
    const slow = def("exclusive", async () => {
      entered();
      await gate;
      return { items: 1 };
    });
    const first = runCollector({ database, config, log }, slow, hs(), "schedule");
    await inside;
    // On PostgreSQL a second pool stands for a second replica; PGlite is one process by design (lock file).
    const other = usingPostgres ? await openDatabase({ url: database.url!, poolSize: 2 }) : database;
    try {
      const second = await runCollector({ database: other, config, log }, slow, hs(), "schedule");
      expect(second.status).toBe("busy");
    } finally {
      release();
      if (other !== database) await other.close();
    }
    expect((await first).status).toBe("ok");
    const again = await runCollector({ database, config, log }, def("exclusive", async () => ({ items: 3 })), hs(), "schedule");
    expect(again.status).toBe("ok");
  });
});

describe("scheduling", () => {
  it("is due after its interval, and backs off exponentially after failures, never beyond the interval", async () => {
    const base = new Date("2026-01-01T00:00:00Z");
    const run = (status: string) => ({ id: 1, collector: "x", startedAt: base, finishedAt: base, status, items: 0, total: null, error: null, trigger: "schedule" });
    expect(nextDueAt({ name: "x", lastRun: null, lastSuccess: null, consecutiveFailures: 0 }, 60)!.getTime()).toBe(0);
    expect(nextDueAt({ name: "x", lastRun: run("ok"), lastSuccess: run("ok"), consecutiveFailures: 0 }, 900)!.getTime()).toBe(base.getTime() + 900_000);
    expect(nextDueAt({ name: "x", lastRun: run("failed"), lastSuccess: null, consecutiveFailures: 1 }, 900)!.getTime()).toBe(base.getTime() + 30_000);
    expect(nextDueAt({ name: "x", lastRun: run("failed"), lastSuccess: null, consecutiveFailures: 3 }, 900)!.getTime()).toBe(base.getTime() + 120_000);
    expect(nextDueAt({ name: "x", lastRun: run("failed"), lastSuccess: null, consecutiveFailures: 12 }, 900)!.getTime()).toBe(base.getTime() + 900_000);
    expect(nextDueAt({ name: "x", lastRun: run("running"), lastSuccess: null, consecutiveFailures: 0 }, 900)).toBeNull();
    expect(nextDueAt({ name: "x", lastRun: run("ok"), lastSuccess: null, consecutiveFailures: 0 }, 0)).toBeNull();
  });

  it("reports the failure streak and the last success", async () => {
    const [s] = await collectorStatus(database.db, ["crashy"]);
    expect(s.consecutiveFailures).toBe(0);
    expect(s.lastSuccess?.status).toBe("ok");
  });
});

describe("refresh now", () => {
  let steward: TestSteward;
  let release!: () => void;
  let gate: Promise<void>;
  const slow = def("demo-slow", async (ctx) => {
    await ctx.progress(1, 4);
    await gate;
    return { items: 4, total: 4 };
  });
  beforeAll(async () => {
    gate = new Promise<void>((r) => (release = r));
    steward = await startTestSteward({ homeserverUrl: sim.url, attach: (ctx) => attachCollectors(ctx, [slow]) });
  });
  afterAll(async () => {
    release();
    await steward?.close();
  });

  it("starts a run only with the CSRF token, shows progress, refuses a second start, and is audited", async () => {
    const c = new TestClient(steward.url);
    await c.signIn("admin", "admin", sim.url);
    const refused = await c.request("/api/collectors/demo-slow", { method: "POST", headers: { Accept: "application/json" } });
    expect(refused.status).toBe(403);
    const csrf = await c.csrfToken("/");
    const started = await c.request("/api/collectors/demo-slow", { method: "POST", headers: { Accept: "application/json", "X-CSRF-Token": csrf } });
    expect(started.status).toBe(202);
    const { runId } = (await started.json()) as { runId: number };
    expect(runId).toBeGreaterThan(0);
    const second = await c.request("/api/collectors/demo-slow", { method: "POST", headers: { Accept: "application/json", "X-CSRF-Token": csrf } });
    expect(second.status).toBe(409);
    const running = (await (await c.get("/api/collectors/demo-slow", { Accept: "application/json" })).json()) as { run: { status: string; id: number } };
    expect(running.run).toMatchObject({ id: runId, status: "running" });
    release();
    let status = "running";
    for (let i = 0; i < 50 && status === "running"; i++) {
      await new Promise((r) => setTimeout(r, 50));
      status = ((await (await c.get("/api/collectors/demo-slow", { Accept: "application/json" })).json()) as { run: { status: string } }).run.status;
    }
    expect(status).toBe("ok");
    const unknown = await c.get("/api/collectors/nope", { Accept: "application/json" });
    expect(unknown.status).toBe(404);
    const audit = await steward.database.db.select().from(auditEvents).where(eq(auditEvents.action, "collector.refresh"));
    expect(audit.map((a) => a.outcome).sort()).toEqual(["ok", "refused"]);
  });
});

describe("npm run collect", () => {
  const tsx = path.resolve("node_modules/.bin/tsx");
  // Asynchronous on purpose: the simulator lives in this process and must keep answering while the CLI runs.
  const run = (args: string[], env: Record<string, string>) =>
    new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve, reject) => {
      const child = spawn(tsx, ["scripts/collect.ts", ...args], { env: { ...process.env, NODE_ENV: "test", LOG_LEVEL: "error", ...env } });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (d) => (stdout += d));
      child.stderr.on("data", (d) => (stderr += d));
      const timer = setTimeout(() => child.kill("SIGKILL"), 200_000);
      child.on("error", reject);
      child.on("close", (status) => {
        clearTimeout(timer);
        resolve({ status, stdout, stderr });
      });
    });

  it("runs every collector once with a dedicated admin token and prints one line each", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "steward-collect-"));
    try {
      const env: Record<string, string> = { HOMESERVER_URL: sim.url, HOMESERVER_ADMIN_TOKEN: sim.adminToken, STEWARD_DATA_DIR: dir };
      if (usingPostgres) env.DATABASE_URL = database.url!;
      const res = await run([], env);
      expect(res.stderr).toBe("");
      expect(res.status).toBe(0);
      for (const c of COLLECTORS) expect(res.stdout).toMatch(new RegExp(`^${c.name}: ok`, "m"));
      if (!COLLECTORS.length) expect(res.stdout).toContain("No collectors are defined.");
      const unknown = await run(["--only", "nope"], env);
      expect(unknown.status).toBe(2);
      expect(unknown.stderr).toContain('No collector named "nope"');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 240_000);

  it("says why it cannot run without any admin token", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "steward-collect-"));
    try {
      const res = await run([], { HOMESERVER_URL: sim.url, HOMESERVER_ADMIN_TOKEN: "", STEWARD_DATA_DIR: dir, DATABASE_URL: "" });
      expect(res.status).toBe(4);
      expect(res.stderr).toContain("no admin token");
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});

/**
 * `npm run collect --only user-counts` as cron runs it: a child process with a dedicated admin token
 * (HOMESERVER_ADMIN_TOKEN, no signed-in admin) against the simulator; it prints one line with the counts, exits 0,
 * and the snapshot it wrote equals the simulator's truth. Then with a revoked token: exit 1 and the reason.
 */
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDb, usingPostgres, type TestDatabase } from "../helpers/db";
import { openDatabase, type Database } from "../../db/client";
import { latestSnapshot } from "../../app/services/users/counts.server";
import { startSimulator, type Simulator } from "../simulator/index";

const tsx = path.resolve("node_modules/.bin/tsx");
let sim: Simulator;
let pgDatabase: TestDatabase | undefined;
let dataDir: string;

beforeAll(async () => {
  sim = await startSimulator({ users: 25, seed: 8 });
  if (usingPostgres) pgDatabase = await createTestDb();
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "steward-uc-collect-"));
});
afterAll(async () => {
  await pgDatabase?.close();
  await sim?.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

/** Asynchronous: the simulator lives in this process and must keep answering while the CLI runs. */
function collect(env: Record<string, string>) {
  return new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const child = spawn(tsx, ["scripts/collect.ts", "--only", "user-counts"], {
      env: { ...process.env, NODE_ENV: "test", LOG_LEVEL: "error", HOMESERVER_URL: sim.url, STEWARD_DATA_DIR: dataDir, ...(pgDatabase ? { DATABASE_URL: pgDatabase.url! } : {}), ...env },
    });
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
}

async function withDatabase<T>(fn: (db: Database) => Promise<T>): Promise<T> {
  // PGlite: the CLI has exited and released the data directory's lock, so the test may open it.
  const database = pgDatabase ?? (await openDatabase({ dataDir }));
  try {
    return await fn(database);
  } finally {
    if (!pgDatabase) await database.close();
  }
}

describe("npm run collect --only user-counts", () => {
  it("collects with HOMESERVER_ADMIN_TOKEN, prints the counts and stores a snapshot equal to the truth", async () => {
    const res = await collect({ HOMESERVER_ADMIN_TOKEN: sim.adminToken });
    expect(res.stderr).toBe("");
    expect(res.status).toBe(0);
    const users = [...sim.state.users.values()];
    const deactivated = users.filter((u) => u.deactivated).length;
    expect(res.stdout).toMatch(new RegExp(`^user-counts: ok, ${users.length} accounts, .*${deactivated} deactivated`, "m"));
    const snap = await withDatabase((d) => latestSnapshot(d.db));
    expect(snap?.total).toBe(users.length);
    expect(snap?.deactivated).toBe(deactivated);
    expect(snap?.locked).toBe(users.filter((u) => u.locked).length);
  }, 240_000);

  it("fails with exit code 1 and a plain reason when the token is revoked", async () => {
    const res = await collect({ HOMESERVER_ADMIN_TOKEN: "syt_revoked_token_value" });
    expect(res.status).toBe(1);
    expect(res.stdout).toMatch(/^user-counts: FAILED, The homeserver rejected Steward's access token/m);
    expect(res.stdout + res.stderr).not.toContain("syt_revoked_token_value");
  }, 240_000);
});

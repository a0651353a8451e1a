/**
 * The demo checks Steward's port and the data directory's lock before it builds (issue 14, item 25): a clash is
 * reported in a moment, not after the build and the database start. Checked directly (startProblems) and through
 * scripts/demo.ts with a taken port and a held lock (STEWARD_DEMO_NO_BUILD=1 so a regression cannot rebuild files
 * other test files load; the old script reported these only from startSteward, in other words).
 */
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startProblems } from "../../server/preflight";
import { startChild } from "../helpers/child";

let taken: net.Server;
let port: number;
let holder: ChildProcess;
let lockedDir: string;
let freeDir: string;

beforeAll(async () => {
  taken = net.createServer();
  await new Promise<void>((r) => taken.listen(0, "127.0.0.1", r));
  port = (taken.address() as net.AddressInfo).port;
  // Another live process owns the lock (as a running Steward would).
  holder = spawn(process.execPath, ["-e", "setTimeout(() => {}, 120000)"], { stdio: "ignore" });
  lockedDir = fs.mkdtempSync(path.join(os.tmpdir(), "steward-preflight-locked-"));
  fs.writeFileSync(path.join(lockedDir, "steward.lock"), String(holder.pid));
  freeDir = fs.mkdtempSync(path.join(os.tmpdir(), "steward-preflight-free-"));
  // A lock left by a process that is gone is no obstacle (the server takes it over).
  fs.writeFileSync(path.join(freeDir, "steward.lock"), "2147483646");
});

afterAll(async () => {
  holder?.kill("SIGKILL");
  await new Promise<void>((r) => taken.close(() => r()));
  for (const d of [lockedDir, freeDir]) fs.rmSync(d, { recursive: true, force: true });
});

describe("startProblems", () => {
  it("names a taken port and a data directory held by a live process", async () => {
    const problems = await startProblems({ port, host: "127.0.0.1", dataDir: lockedDir });
    expect(problems).toHaveLength(2);
    expect(problems[0]).toContain(`Port ${port} on 127.0.0.1 is already in use`);
    expect(problems[1]).toContain(`is in use by another Steward process (pid ${holder.pid})`);
  });

  it("finds nothing wrong with a free port and a stale lock; ignores the directory with DATABASE_URL", async () => {
    expect(await startProblems({ port: 0, host: "127.0.0.1", dataDir: freeDir })).toEqual([]);
    expect(await startProblems({ port: 0, host: "127.0.0.1", dataDir: lockedDir, databaseUrl: "postgres://x@127.0.0.1/x" })).toEqual([]);
  });
});

describe("npm run demo with a clash", () => {
  it("stops before building or starting anything when the port is taken or the data directory is in use", async () => {
    const demo = startChild("scripts/demo.ts", [], { PORT: String(port), STEWARD_DATA_DIR: lockedDir, STEWARD_DEMO_NO_BUILD: "1", HOMESERVER_URL: "" });
    const { code } = await demo.exited;
    expect(code).toBe(3);
    expect(demo.stderr()).toContain(`Port ${port} on 127.0.0.1 is already in use`);
    expect(demo.stderr()).toContain(`(pid ${holder.pid})`);
    // Nothing was started: no build, no simulator, no database.
    expect(demo.stdout()).not.toMatch(/Building|Demo homeserver|Replaying/);
  }, 120_000);
});

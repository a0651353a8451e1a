/**
 * Issue 14, item 19: the log is one JSON object per line, always, in production; a 404 is one info line. Remix's
 * default error handler printed a multi-line stack trace to stderr for every unknown URL (`/wp-login.php`).
 * The real entry (server.ts, NODE_ENV=production) runs in a child process; its stdout and stderr are read whole.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSimulator, type Simulator } from "../simulator/index";
import { TestClient } from "../helpers/http";
import { startChild, type Child } from "../helpers/child";

let sim: Simulator;
let dataDir: string;
let child: Child;
let url: string;

beforeAll(async () => {
  sim = await startSimulator({ users: 3 });
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "steward-logs-"));
  child = startChild("server.ts", [], {
    NODE_ENV: "production",
    HOMESERVER_URL: sim.url,
    STEWARD_DATA_DIR: dataDir,
    DATABASE_URL: "",
    SESSION_SECRET: "log-lines-test-secret-0123456789-0123456789",
    PORT: "0",
    HOST: "127.0.0.1",
    COLLECTORS_ENABLED: "false",
    LOG_LEVEL: "info",
  });
  url = String((await child.waitForLine((l) => l.msg === "listening", 150_000)).url);
}, 180_000);
afterAll(async () => {
  if (child && child.proc.exitCode === null && child.proc.signalCode === null) {
    child.proc.kill("SIGTERM");
    await child.exited;
  }
  await sim?.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

const settle = () => new Promise((r) => setTimeout(r, 300));

describe("log lines", { timeout: 60_000 }, () => {
  it("writes one info line for a 404, and every line of stdout and stderr is a JSON object", async () => {
    const c = new TestClient(url);
    expect((await c.postForm("/login", { homeserver: sim.url, mode: "token", accessToken: sim.adminToken })).status).toBe(302);
    const before = child.stdout().split("\n").filter(Boolean).length;
    for (const p of ["/wp-login.php", "/no/such/page?x=1", "/federation/%00", "/users/garbage", "/tokens/%20"]) {
      expect((await c.get(p)).status, p).toBe(404);
    }
    expect((await c.get("/wp-login.php", { Accept: "application/json" })).status).toBe(404);
    await settle();
    const newLines = child.stdout().split("\n").filter(Boolean).slice(before);
    for (const line of [...child.stdout().split("\n"), ...child.stderr().split("\n")].filter((l) => l.trim())) {
      let parsed: unknown;
      expect(() => (parsed = JSON.parse(line)), `not JSON: ${line.slice(0, 200)}`).not.toThrow();
      expect(typeof parsed === "object" && parsed !== null && !Array.isArray(parsed), line.slice(0, 200)).toBe(true);
    }
    expect(child.stderr().trim()).toBe("");
    const entries = newLines.map((l) => JSON.parse(l) as Record<string, unknown>);
    // One line per 404: the request line, at info, with its status. Nothing at error, no stack.
    const wp = entries.filter((e) => e.path === "/wp-login.php");
    expect(wp).toHaveLength(2);
    for (const e of wp) expect(e).toMatchObject({ level: "info", msg: "request", status: 404 });
    expect(entries.filter((e) => e.level !== "info")).toEqual([]);
    expect(entries).toHaveLength(6);
  });
});

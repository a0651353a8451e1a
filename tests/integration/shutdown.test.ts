/**
 * Graceful shutdown of the real entry (server.ts in a child process, embedded database): a request in flight when
 * SIGTERM arrives still gets its full answer, new connections are refused, the process exits 0 and the data
 * directory's lock file is released (so the next start does not have to take over a stale lock).
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
let child: Child | undefined;

beforeAll(async () => {
  sim = await startSimulator({ users: 3 });
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "steward-shutdown-"));
});
afterAll(async () => {
  if (child && child.proc.exitCode === null && child.proc.signalCode === null) child.proc.kill("SIGKILL");
  await sim?.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

describe("graceful shutdown", () => {
  it("finishes the request in flight on SIGTERM, then exits 0 and releases the data directory", async () => {
    child = startChild("server.ts", [], {
      NODE_ENV: "production",
      HOMESERVER_URL: sim.url,
      STEWARD_DATA_DIR: dataDir,
      DATABASE_URL: "",
      SESSION_SECRET: "shutdown-test-secret-0123456789-0123456789",
      PORT: "0",
      HOST: "127.0.0.1",
      COLLECTORS_ENABLED: "false",
      LOG_LEVEL: "info",
    });
    const listening = await child.waitForLine((l) => l.msg === "listening", 90_000);
    const url = String(listening.url);
    expect(fs.existsSync(path.join(dataDir, "steward.lock"))).toBe(true);
    const c = new TestClient(url);
    expect((await c.postForm("/login", { homeserver: sim.url, mode: "token", accessToken: sim.adminToken })).status).toBe(302);
    expect((await c.get("/tokens")).status).toBe(200); // warm: the session re-check is done

    // A slow homeserver keeps /tokens (a live list) in flight while the signal arrives.
    sim.setLatency(1_500);
    const seen = sim.requestLog.length;
    const inFlight = c.get("/tokens").then(async (r) => ({ status: r.status, body: await r.text() }));
    while (!sim.requestLog.slice(seen).some((e) => e.path.startsWith("/_synapse/admin/v1/registration_tokens"))) await new Promise((r) => setTimeout(r, 20));
    child.proc.kill("SIGTERM");
    await child.waitForLine((l) => l.msg === "shutting down");
    // Stopped accepting: a new connection is refused while the old request is still being answered.
    await expect(fetch(`${url}/healthz`)).rejects.toThrow();
    const answer = await inFlight;
    expect(answer.status).toBe(200);
    expect(answer.body).toContain('data-testid="tokens-table"');
    expect(answer.body).toContain("</html>");
    const exit = await child.exited;
    expect(exit).toEqual({ code: 0, signal: null });
    expect(fs.existsSync(path.join(dataDir, "steward.lock"))).toBe(false);
    expect(child.stderr()).toBe("");
    const requestLine = child.lines().find((l) => l.msg === "request" && l.path === "/tokens" && Number(l.ms) >= 1_400);
    expect(requestLine?.status).toBe(200);
    sim.setLatency(0);
  }, 120_000);
});

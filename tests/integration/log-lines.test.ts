/**
 * Issue 14, item 19: the log is one JSON object per line, always; a 404 is one info line. Remix's default error
 * handler printed a multi-line stack trace (console.error) for every unknown URL (`/wp-login.php`), in production
 * too. The real server runs in this process; its log lines are collected, and console.error / stderr are watched.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { startSimulator, type Simulator } from "../simulator/index";
import { TestClient } from "../helpers/http";
import { startTestSteward, type TestSteward } from "../helpers/steward";

let sim: Simulator;
let steward: TestSteward;
const printed: string[] = [];

beforeAll(async () => {
  sim = await startSimulator({ users: 3 });
  steward = await startTestSteward({ homeserverUrl: sim.url });
  vi.spyOn(console, "error").mockImplementation((...a: unknown[]) => void printed.push(a.map(String).join(" ")));
  const write = process.stderr.write.bind(process.stderr);
  vi.spyOn(process.stderr, "write").mockImplementation(((chunk: unknown, ...rest: unknown[]) => {
    printed.push(String(chunk));
    return (write as (...a: unknown[]) => boolean)(chunk, ...rest);
  }) as typeof process.stderr.write);
}, 180_000);
afterAll(async () => {
  vi.restoreAllMocks();
  await steward?.close();
  await sim?.close();
});

describe("log lines", () => {
  it("writes one info line for a 404, no stack trace, and every line is a JSON object", async () => {
    const c = new TestClient(steward.url);
    expect((await c.signIn("admin", "admin", sim.url)).status).toBe(302);
    const before = steward.logs.length;
    for (const p of ["/wp-login.php", "/no/such/page?x=1", "/federation/%00", "/users/garbage", "/tokens/%20"]) {
      expect((await c.get(p)).status, p).toBe(404);
    }
    expect((await c.get("/wp-login.php", { Accept: "application/json" })).status).toBe(404);
    await new Promise((r) => setTimeout(r, 200));
    expect(printed.join("\n")).toBe("");
    for (const line of steward.logs) {
      expect(line.includes("\n"), line.slice(0, 200)).toBe(false);
      const parsed = JSON.parse(line) as unknown;
      expect(typeof parsed === "object" && parsed !== null && !Array.isArray(parsed), line.slice(0, 200)).toBe(true);
    }
    const entries = steward.logs.slice(before).map((l) => JSON.parse(l) as Record<string, unknown>);
    const wp = entries.filter((e) => e.path === "/wp-login.php");
    expect(wp).toHaveLength(2);
    for (const e of wp) expect(e).toMatchObject({ level: "info", msg: "request", status: 404 });
    expect(entries.filter((e) => e.level !== "info" && e.level !== "debug")).toEqual([]);
    expect(entries.filter((e) => e.msg === "request")).toHaveLength(6);
  });
});

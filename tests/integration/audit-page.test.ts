/**
 * The audit page through the real server: each outcome gets its own badge, and a `pending` entry (written ahead of
 * its action, decision 009) says in words that it is in progress or awaiting repair.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSimulator, type Simulator } from "../simulator/index";
import { startTestSteward, type TestSteward } from "../helpers/steward";
import { TestClient } from "../helpers/http";
import { beginAudit, recordAudit } from "../../app/services/audit/events.server";

let sim: Simulator;
let steward: TestSteward;

beforeAll(async () => {
  sim = await startSimulator({ users: 3, seed: 11 });
  steward = await startTestSteward({ homeserverUrl: sim.url });
});
afterAll(async () => {
  await steward?.close();
  await sim?.close();
});

const ACTOR = "@audit-page:example.org";

/** The Outcome cell of each row, by target. */
function outcomeCells(html: string): Map<string, string> {
  const cells = new Map<string, string>();
  for (const row of html.match(/<tr>.*?<\/tr>/gs) ?? []) {
    const tds = [...row.matchAll(/<td[^>]*>(.*?)<\/td>/gs)].map((m) => m[1]);
    if (tds.length === 6) cells.set(tds[3], tds[4]);
  }
  return cells;
}

describe("audit page", () => {
  it("shows each outcome with its own badge, and a pending entry as in progress or awaiting repair", async () => {
    const db = steward.database.db;
    await recordAudit(db, { actor: ACTOR, action: "token.create", target: "t-ok", outcome: "ok" });
    await recordAudit(db, { actor: ACTOR, action: "token.create", target: "t-error", outcome: "error" });
    await recordAudit(db, { actor: ACTOR, action: "token.create", target: "t-refused", outcome: "refused" });
    await beginAudit(db, { actor: ACTOR, action: "token.create", target: "t-pending" });

    const c = new TestClient(steward.url);
    await c.signIn("admin", "admin", sim.url);
    const res = await c.get(`/audit?actor=${encodeURIComponent(ACTOR)}`);
    expect(res.status).toBe(200);
    const cells = outcomeCells(await res.text());
    expect([...cells.keys()].sort()).toEqual(["t-error", "t-ok", "t-pending", "t-refused"]);

    const badge = (target: string) => cells.get(target)!.match(/<span class="([^"]+)"(?: title="([^"]*)")?>(\w+)<\/span>/)!;
    expect(badge("t-ok").slice(1)).toEqual(["badge ok", undefined, "ok"]);
    expect(badge("t-error").slice(1)).toEqual(["badge bad", undefined, "error"]);
    expect(badge("t-refused").slice(1)).toEqual(["badge warn", undefined, "refused"]);
    const [, pendingClass, pendingTitle, pendingText] = badge("t-pending");
    expect([pendingClass, pendingText]).toEqual(["badge pending", "pending"]);
    expect(pendingTitle).toMatch(/in progress, or interrupted and awaiting repair/i);
    expect(cells.get("t-pending")).toContain("in progress or awaiting repair");
    expect(cells.get("t-ok")).not.toContain("awaiting repair");
    // Four outcomes, four looks.
    expect(new Set(["t-ok", "t-error", "t-refused", "t-pending"].map((t) => badge(t)[1])).size).toBe(4);
  });
});

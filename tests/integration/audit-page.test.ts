/**
 * The audit page through the real server: each outcome gets its own badge, and a `pending` entry (written ahead of
 * its action, decision 009) says in words that it is in progress or awaiting repair.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSimulator, type Simulator } from "../simulator/index";
import { startTestSteward, type TestSteward } from "../helpers/steward";
import { TestClient } from "../helpers/http";
import { beginAudit, recordAudit } from "../../app/services/audit/events.server";
import { postureNudges } from "../../db/schema";

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

/** The Outcome cell of each row, by the token its sentence names. */
function outcomeCells(html: string): Map<string, string> {
  const cells = new Map<string, string>();
  for (const row of html.match(/<tr data-audit=.*?<\/tr>/gs) ?? []) {
    const tds = [...row.matchAll(/<td[^>]*>(.*?)<\/td>/gs)].map((m) => m[1]);
    const target = /<bdi class="ident">(t-[a-z]+)<\/bdi>/.exec(tds[1] ?? "")?.[1];
    if (tds.length === 3 && target) cells.set(target, tds[2]);
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

    const badge = (target: string) => cells.get(target)!.match(/<span class="([^"]+)"(?: title="([^"]*)")?>([\w ]+)<\/span>/)!;
    expect(badge("t-ok").slice(1)).toEqual(["badge ok", undefined, "done"]);
    expect(badge("t-error").slice(1)).toEqual(["badge bad", undefined, "failed"]);
    expect(badge("t-refused").slice(1)).toEqual(["badge warn", undefined, "refused"]);
    const [, pendingClass, pendingTitle, pendingText] = badge("t-pending");
    expect([pendingClass, pendingText]).toEqual(["badge pending", "in progress"]);
    expect(pendingTitle).toMatch(/in progress, or interrupted and awaiting repair/i);
    expect(cells.get("t-pending")).toContain("in progress or awaiting repair");
    expect(cells.get("t-ok")).not.toContain("awaiting repair");
    // Four outcomes, four looks.
    expect(new Set(["t-ok", "t-error", "t-refused", "t-pending"].map((t) => badge(t)[1])).size).toBe(4);
  });

  it("writes each action as a sentence with its details in words and dates: no JSON, no epoch ms, no action names", async () => {
    const db = steward.database.db;
    const actor = "@words:example.org";
    const expiry = Date.UTC(2026, 11, 24, 18, 30);
    await recordAudit(db, { actor, action: "token.update", target: "t-words", outcome: "ok", detail: { usesAllowed: 5, expiryTime: expiry } });
    await recordAudit(db, { actor, action: "federation.self_check", target: "example.org", outcome: "ok", detail: { runId: 7, status: "fail", failing: ["server-keys"] } });
    await recordAudit(db, { actor, action: "auth.sign_in", target: "https://hs.example.org", outcome: "refused", detail: { reason: "not_admin" } });
    await recordAudit(db, { actor, action: "some.future_action", target: "x", outcome: "ok", detail: { someCount: 3, whenAt: expiry } });
    const c = new TestClient(steward.url);
    await c.signIn("admin", "admin", sim.url);
    const html = await (await c.get(`/audit?actor=${encodeURIComponent(actor)}`)).text();
    const text = html.replace(/<!-- -->/g, "").replace(/<option[^>]*>.*?<\/option>/gs, "").replace(/<(script|style).*?<\/\1>/gs, "").replace(/<[^>]+>/g, "").replace(/&#x27;/g, "'");
    expect(text).toContain("@words:example.org changed registration token t-words.");
    expect(text).toContain("5 uses allowed; expires 24 Dec 2026, 18:30 UTC");
    expect(text).toContain("@words:example.org ran the federation self-check of example.org.");
    expect(text).toContain("failing: Server signing key");
    expect(text).toContain("@words:example.org tried to sign in to https://hs.example.org");
    expect(text).toContain("refused: the account is not a server admin");
    // An action Steward does not know yet is still spelled out in words (jsonb orders the keys its own way).
    expect(text).toContain("some future action: x.");
    expect(text).toContain("some count: 3");
    expect(text).toContain("when at: 24 Dec 2026, 18:30 UTC");
    expect(text).not.toMatch(/\d{13}/); // epoch milliseconds
    expect(text).not.toMatch(/[{}"]/); // JSON
    expect(text).not.toMatch(/token\.update|federation\.self_check|auth\.sign_in|some\.future_action/);
    // The action filter is a select of known actions, each by its name for people.
    expect(html).toMatch(/<select id="audit-action" name="action">/);
    expect(html).toContain('<option value="token.create">Registration token issued</option>');
    const filtered = await (await c.get(`/audit?action=token.update&actor=${encodeURIComponent(actor)}`)).text();
    expect(filtered).toContain("t-words");
    expect(filtered).not.toContain("ran the federation self-check");
  });

  it("lists the users a bulk nudge touched, behind a disclosure", async () => {
    const db = steward.database.db;
    const actor = "@nudger:example.org";
    const users = ["@ann:example.org", "@bob:example.org", "@cyd:example.org"];
    await db.insert(postureNudges).values(
      users.map((u, i) => ({ batchId: "batch-1", userId: u, txnId: `txn-${i}`, actor, body: "hi", status: i === 2 ? "failed" : "sent", createdAt: new Date() })),
    );
    await recordAudit(db, { actor, action: "posture.nudge", target: "3 users", outcome: "error", detail: { batchId: "batch-1", templateId: null, sent: 2, failed: 1, skipped: 0 } });
    const c = new TestClient(steward.url);
    await c.signIn("admin", "admin", sim.url);
    const html = (await (await c.get(`/audit?actor=${encodeURIComponent(actor)}`)).text()).replace(/<!-- -->/g, "");
    expect(html).toContain("nudged 3 users with a server notice");
    expect(html).toMatch(/<details[^>]*><summary>3 users: show who<\/summary>/);
    for (const u of users) expect(html).toContain(`<bdi class="ident">${u}</bdi>`);
    expect(html).toContain("(failed)");
  });
});

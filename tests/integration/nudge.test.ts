// Nudges through the simulator: a batch retried after a crash (the notice went out, the process died before
// recording it) sends each notice exactly once; the cooldown skips recently nudged users; a homeserver without
// server notices gives one clear error; everything is recorded and audited.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eq } from "drizzle-orm";
import { createHomeserverClient, type HomeserverClient } from "../../app/homeserver/index";
import { DEFAULT_TEMPLATES, NOT_CONFIGURED, newBatchId, nudgeTxnId, renderNudge, sendNudges, templateProblems } from "../../app/services/posture/nudge.server";
import { auditEvents, postureNudges } from "../../db/schema";
import { createTestDb, type TestDatabase } from "../helpers/db";
import { startSimulator, type Simulator } from "../simulator/index";

let sim: Simulator;
let hs: HomeserverClient;
let database: TestDatabase;
const NOW = new Date(Date.UTC(2026, 10, 27, 12));
const ADMIN = "@admin:sim.test";
const body = DEFAULT_TEMPLATES[0].body;

beforeAll(async () => {
  sim = await startSimulator({ users: 24, seed: 4, now: () => NOW.getTime() });
  hs = createHomeserverClient({ baseUrl: sim.url, accessToken: sim.adminToken });
  database = await createTestDb();
});
afterAll(async () => {
  await sim.close();
  await database.close();
});

const someUsers = (n: number, skip = 0) =>
  [...sim.state.users.values()].filter((u) => !u.admin && !u.is_guest && !u.deactivated).slice(skip, skip + n).map((u) => u.name);
const noticesTo = (userId: string) => sim.state.posture.notices.filter((n) => n.user_id === userId);

describe("nudges", () => {
  it("renders placeholders and rejects unknown ones", () => {
    expect(renderNudge("Hi {user_id}, ask {admin_contact}", { userId: "@a:x", adminContact: "@boss:x" })).toBe("Hi @a:x, ask @boss:x");
    expect(templateProblems(body)).toEqual([]);
    expect(templateProblems("Hi {name}")[0]).toMatch(/\{name\}/);
    expect(templateProblems("  ")[0]).toMatch(/empty/);
    expect(nudgeTxnId("b", "@a:x")).toBe(nudgeTxnId("b", "@a:x"));
    expect(nudgeTxnId("b", "@a:x")).not.toBe(nudgeTxnId("c", "@a:x"));
  });

  it("a batch retried after a crash sends each notice once", async () => {
    const users = someUsers(4);
    const batchId = newBatchId();
    // The third send reaches the homeserver, then the process "dies" before recording the result.
    let sends = 0;
    const crashing: HomeserverClient = {
      ...hs,
      notices: {
        send: async (...args: Parameters<HomeserverClient["notices"]["send"]>) => {
          const r = await hs.notices.send(...args);
          if (++sends === 3) throw new Error("process killed");
          return r;
        },
      },
    };
    const req = { batchId, actor: ADMIN, userIds: users, body, adminContact: "@admin:sim.test", now: NOW, concurrency: 1 };
    await expect(sendNudges(database.db, crashing, req)).rejects.toThrow("process killed");
    const pending = await database.db.select().from(postureNudges).where(eq(postureNudges.batchId, batchId));
    expect(pending.map((r) => r.status).sort()).toEqual(["pending", "pending", "sent", "sent"]);

    const retry = await sendNudges(database.db, hs, req);
    expect(retry.sent).toBe(4);
    for (const u of users) expect(noticesTo(u), u).toHaveLength(1);
    const rows = await database.db.select().from(postureNudges).where(eq(postureNudges.batchId, batchId));
    expect(rows.every((r) => r.status === "sent" && r.eventId === noticesTo(r.userId)[0].event_id)).toBe(true);
    expect(noticesTo(users[0])[0].content.body).toContain(users[0]);

    // Submitting the very same batch again (a double click) sends nothing new either.
    const again = await sendNudges(database.db, hs, req);
    expect(again.results.every((r) => r.status === "sent" && r.repeated)).toBe(true);
    for (const u of users) expect(noticesTo(u)).toHaveLength(1);
  });

  it("skips users nudged in the last 7 days, unless the cooldown is over", async () => {
    const [u] = someUsers(1, 5);
    const first = await sendNudges(database.db, hs, { batchId: newBatchId(), actor: ADMIN, userIds: [u], body, now: NOW });
    expect(first.sent).toBe(1);
    const second = await sendNudges(database.db, hs, { batchId: newBatchId(), actor: ADMIN, userIds: [u], body, now: new Date(NOW.getTime() + 86_400_000) });
    expect(second.results[0]).toMatchObject({ status: "skipped" });
    const later = await sendNudges(database.db, hs, { batchId: newBatchId(), actor: ADMIN, userIds: [u], body, now: new Date(NOW.getTime() + 8 * 86_400_000) });
    expect(later.sent).toBe(1);
    expect(noticesTo(u)).toHaveLength(2);
  });

  it("says clearly when server notices are not configured, after one request", async () => {
    sim.state.posture.serverNoticesEnabled = false;
    try {
      const users = someUsers(3, 7);
      const before = sim.requestLog.length;
      const out = await sendNudges(database.db, hs, { batchId: newBatchId(), actor: ADMIN, userIds: users, body, now: NOW });
      expect(out.fatal).toBe(NOT_CONFIGURED);
      expect(out.failed).toBe(3);
      expect(sim.requestLog.slice(before).filter((e) => e.path.includes("send_server_notice"))).toHaveLength(1);
      const [audit] = await database.db.select().from(auditEvents).where(eq(auditEvents.outcome, "error"));
      expect(audit).toMatchObject({ action: "posture.nudge", actor: ADMIN });
    } finally {
      sim.state.posture.serverNoticesEnabled = true;
    }
  });

  it("the simulator's PUT is idempotent per txnId", async () => {
    const [u] = someUsers(1, 10);
    const a = await hs.notices.send(u, { msgtype: "m.text", body: "x" }, "fixed-txn");
    const b = await hs.notices.send(u, { msgtype: "m.text", body: "x" }, "fixed-txn");
    expect(a.eventId).toBe(b.eventId);
    expect(noticesTo(u)).toHaveLength(1);
  });
});

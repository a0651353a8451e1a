/**
 * The homeserver misbehaves (down, slower than HOMESERVER_TIMEOUT_MS, 500s, a 429 storm, garbage JSON) after one
 * good collection: every signed-in page still renders from Steward's database with the reason; actions that need
 * the homeserver fail with a plain message and change nothing (Steward's tables and the simulator's state are
 * compared before/after); collectors record failures, back off, and recover by themselves once the fault clears;
 * no unhandled rejection, and the server still answers /healthz.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { and, count, eq, inArray, sql } from "drizzle-orm";
import { startSimulator, type FaultKind, type Simulator } from "../simulator/index";
import type { TestSteward } from "../helpers/steward";
import { startStewardWithScheduler, type Scheduler } from "../helpers/scheduler";
import { TestClient } from "../helpers/http";
import { COLLECTORS } from "../../app/services/collectors/registry.server";
import { collectorStatus, intervalSeconds, nextDueAt } from "../../app/services/collectors/framework.server";
import { auditEvents, collectorRuns, postureNudges, postureUsers, registrationTokenRecords } from "../../db/schema";
import { tokenState } from "../../app/services/tokens/rules.server";

let sim: Simulator;
let steward: TestSteward;
let scheduler: Scheduler;
let client: TestClient;
let csrf: string;
const rejections: unknown[] = [];
const onRejection = (r: unknown) => rejections.push(r);

let userId: string;
/** A user the security report would nudge (missing a secure key or backup): a fully secured one is left out. */
let nudgeTarget: string;
let token: string;
let destination: string;

beforeAll(async () => {
  process.on("unhandledRejection", onRejection);
  sim = await startSimulator({ users: 12, seed: 3 });
  ({ steward, scheduler } = await startStewardWithScheduler({
    homeserverUrl: sim.url,
    env: { HOMESERVER_TIMEOUT_MS: "500", HOMESERVER_ADMIN_TOKEN: sim.adminToken },
  }));
  client = new TestClient(steward.url);
  expect((await client.postForm("/login", { homeserver: sim.url, mode: "token", accessToken: sim.adminToken })).status).toBe(302);
  csrf = await client.csrfToken("/");
  // One good collection of everything: the pages have something to show from Steward's database.
  await scheduler.tick();
  await scheduler.drain();
  const runs = await steward.database.db.select().from(collectorRuns);
  for (const c of COLLECTORS) expect(runs.find((r) => r.collector === c.name)?.status, c.name).toBe("ok");
  userId = [...sim.state.users.values()].find((u) => !u.admin && !u.deactivated && !u.is_guest)!.name;
  const missing = await steward.database.db.select().from(postureUsers).where(and(eq(postureUsers.fullySecured, "missing"), eq(postureUsers.category, "active")));
  nudgeTarget = missing[0].userId;
  token = [...sim.state.registrationTokens.keys()][0];
  destination = [...sim.state.federation.destinations.keys()][0];
  expect((await client.get("/tokens")).status).toBe(200); // the token list reconciles Steward's records
}, 60_000);

afterAll(async () => {
  await steward?.close();
  await sim?.close();
  process.off("unhandledRejection", onRejection);
});

function applyFault(kind: FaultKind | "slow") {
  if (kind === "slow") sim.setLatency(800); // beyond HOMESERVER_TIMEOUT_MS=500
  else sim.injectFault({ kind, path: "/" });
}
function clearFault() {
  sim.setLatency(0);
  sim.clearFaults();
}

const pages = () => [
  "/",
  "/users",
  `/users/${encodeURIComponent(userId)}`,
  "/tokens",
  `/tokens/${encodeURIComponent(token)}`,
  "/federation",
  `/federation/${encodeURIComponent(destination)}`,
  "/federation/self-check",
  "/security",
  "/audit",
];

/** Steward's own tables an action could change, and the simulator's matching truth. */
async function snapshot() {
  const db = steward.database.db;
  const [records] = await db.select({ n: count() }).from(registrationTokenRecords);
  const [tokenRecord] = await db.select().from(registrationTokenRecords).where(eq(registrationTokenRecords.token, token));
  const sentNudges = (await db.select().from(postureNudges)).filter((n) => n.status === "sent").length;
  // "Refresh now" is audited as accepted even when the run then fails; every other "ok" would be a change.
  const auditOk = (await db.select().from(auditEvents)).filter((a) => a.outcome === "ok" && a.action !== "collector.refresh").length;
  const dest = sim.state.federation.destinations.get(destination)!;
  return {
    records: records.n,
    tokenRecord,
    simToken: { ...sim.state.registrationTokens.get(token) },
    sentNudges,
    auditOk,
    simTokens: [...sim.state.registrationTokens.keys()].sort(),
    simNotices: sim.state.posture.notices.length,
    destRetry: [dest.retry_last_ts, dest.retry_interval, dest.failure_ts],
  };
}

/** Moves every recorded run back in time (keeping their order) instead of sleeping through intervals and backoffs. */
async function travel(seconds: number) {
  const back = sql.raw(`interval '${seconds} seconds'`);
  await steward.database.db.update(collectorRuns).set({ startedAt: sql`${collectorRuns.startedAt} - ${back}`, finishedAt: sql`${collectorRuns.finishedAt} - ${back}` });
}

const stripTags = (html: string) => html.replace(/<(script|style)[\s\S]*?<\/\1>/g, "").replace(/<[^>]+>/g, " ").replace(/\s+/g, " ");

/** The plain reason the homeserver client gives for each fault (describeHomeserverError). */
const REASON: Record<string, RegExp> = {
  drop: /could not be reached|unreachable/i,
  slow: /did not answer within|timed out|took longer/i,
  status500: /500|server error|internal/i,
  status429: /too many|rate.?limit|429/i,
  garbage: /not (valid )?JSON|not a Matrix|unexpected|could not (be )?(read|understand)/i,
};

describe.each(["drop", "slow", "status500", "status429", "garbage"] as const)("homeserver fault: %s", (kind) => {
  beforeAll(() => applyFault(kind));
  afterAll(() => clearFault());

  it("every signed-in page renders from Steward's database, with the reason where the homeserver was needed", async () => {
    const live = [`/tokens`, `/tokens/${encodeURIComponent(token)}`, `/users/${encodeURIComponent(userId)}`, `/federation/${encodeURIComponent(destination)}`];
    // Concurrently: each page waits out the homeserver client's retries, and the pages do not depend on each other.
    await Promise.all(
      pages().map(async (path) => {
        const res = await client.get(path);
        const html = await res.text();
        expect(res.status, `${path}: ${html.slice(0, 300)}`).toBe(200);
        expect(html).not.toContain(sim.adminToken);
        if (live.includes(path)) expect(stripTags(html), path).toMatch(REASON[kind]);
        // The token pages render Steward's records, saying so and never claiming live state.
        if (path.startsWith("/tokens")) {
          expect(html, path).toContain('data-testid="stale-banner"');
          expect(html, path).toContain('data-testid="as-of"');
          expect(html, path).toContain(token);
        }
      }),
    );
  }, 60_000);

  it("actions that need the homeserver fail with a clear message and change nothing", async () => {
    const before = await snapshot();
    const post = async (path: string, form: Record<string, string>) => {
      const res = await client.postForm(path, { csrf, ...form });
      return { status: res.status, text: stripTags(await res.text()) };
    };
    const [issue, revoke, edit, adopt, reset, nudge] = await Promise.all([
      post("/tokens/new", { issuedFor: "Fault test", note: "", uses: "1", token: "", length: "16" }),
      post(`/tokens/${encodeURIComponent(token)}`, { intent: "revoke" }),
      post(`/tokens/${encodeURIComponent(token)}`, { intent: "edit", uses: "5", expires: "keep" }),
      post(`/tokens/${encodeURIComponent(token)}`, { intent: "adopt", issuedFor: "Fault test", note: "adopted in a fault" }),
      post(`/federation/${encodeURIComponent(destination)}`, { intent: "reset" }),
      // The form posts to its own URL, which carries the selection (the page's loader runs again after the action).
      post(`/security/nudge?${new URLSearchParams({ user: nudgeTarget })}`, {
        intent: "send",
        body: "Please set up your secure key, {user_id}.",
        batchId: `fault-${kind}-batch`,
        selection: new URLSearchParams({ user: nudgeTarget }).toString(),
      }),
    ]);
    for (const [name, r] of Object.entries({ issue, revoke, edit, adopt, reset })) {
      expect(r.status, name).toBeGreaterThanOrEqual(400);
      expect(r.text, name).toMatch(REASON[kind]);
    }
    expect(nudge.text).toMatch(/not sent|failed/i);
    expect(nudge.text).toMatch(REASON[kind]);

    // Refresh now: the run starts, fails with the reason, and nothing else changes.
    const refresh = await client.request("/api/collectors/user-counts", { method: "POST", headers: { Accept: "application/json", "X-CSRF-Token": csrf } });
    expect(refresh.status).toBe(202);
    await scheduler.drain();
    const [status] = await collectorStatus(steward.database.db, ["user-counts"]);
    expect(status.lastRun?.status).toBe("failed");
    expect(status.lastRun?.error).toMatch(REASON[kind]);

    const after = await snapshot();
    expect(after).toEqual(before);
  }, 60_000);

  it("collectors record the failure and back off instead of hammering the homeserver", async () => {
    const db = steward.database.db;
    const beforeRuns = (await db.select({ n: count() }).from(collectorRuns))[0].n;
    // Every collector is due: pretend their last runs are old.
    await travel(86_400);
    await scheduler.tick();
    await scheduler.drain();
    const statuses = await collectorStatus(db, COLLECTORS.map((c) => c.name));
    for (const s of statuses) {
      expect(s.lastRun?.status, s.name).toBe("failed");
      expect(s.consecutiveFailures, s.name).toBeGreaterThanOrEqual(1);
      const def = COLLECTORS.find((c) => c.name === s.name)!;
      const due = nextDueAt(s, intervalSeconds(def, steward.config))!;
      // The next try is a backoff after the failure, not immediately.
      expect(due.getTime() - s.lastRun!.finishedAt!.getTime(), s.name).toBeGreaterThanOrEqual(30_000);
    }
    const afterRuns = (await db.select({ n: count() }).from(collectorRuns))[0].n;
    expect(afterRuns - beforeRuns).toBe(COLLECTORS.length);
    // The reports built on those collectors say so, with the reason, and still show the stored data.
    for (const path of ["/", "/users"]) {
      const html = await (await client.get(path)).text();
      expect(html, path).toContain('data-testid="stale-banner"');
      expect(stripTags(html), path).toMatch(REASON[kind]);
    }
    expect(stripTags(await (await client.get("/users")).text())).toContain(userId);
    // A tick right away runs nothing: every collector is backing off.
    await scheduler.tick();
    await scheduler.drain();
    expect((await db.select({ n: count() }).from(collectorRuns))[0].n).toBe(afterRuns);
  }, 60_000);
});

describe("token pages from Steward's records while the homeserver is down", () => {
  const OLD = Array.from({ length: 60 }, (_, i) => `old-invite-${String(i).padStart(2, "0")}`);
  beforeAll(async () => {
    // Enough revoked records to need a second page (revoked: the homeserver coming back does not touch them).
    const at = new Date(Date.now() - 400 * 86_400_000);
    await steward.database.db.insert(registrationTokenRecords).values(
      OLD.map((t, i) => ({ token: t, origin: "steward", issuedBy: "@admin:sim.test", issuedFor: `Guest ${i}`, createdAt: new Date(at.getTime() - i * 60_000), revokedAt: at, revokedBy: "@admin:sim.test", completed: 1, syncedAt: at })),
    );
    applyFault("drop");
  });
  afterAll(async () => {
    clearFault();
    await steward.database.db.delete(registrationTokenRecords).where(inArray(registrationTokenRecords.token, OLD));
  });

  const rowsOf = (html: string) => [...html.matchAll(/<tr[^>]* data-token="([^"]+)"/g)].map((m) => m[1]);

  it("filters, searches and pages the stored records, each row 'as of' the last sync, with the reason in the banner", async () => {
    const records = await steward.database.db.select().from(registrationTokenRecords);
    const now = Date.now();
    const stateOf = (r: (typeof records)[number]) => (r.revokedAt ? "revoked" : tokenState(r, now));
    const order = [...records].sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || a.token.localeCompare(b.token)).map((r) => r.token);

    const first = await (await client.get("/tokens")).text();
    expect(first).toContain('data-testid="stale-banner"');
    expect(stripTags(first)).toMatch(/last synced/);
    expect(stripTags(first)).toMatch(REASON.drop);
    expect(rowsOf(first)).toEqual(order.slice(0, 50));
    expect(first.match(/data-testid="as-of"/g)?.length).toBe(50);
    expect(rowsOf(await (await client.get("/tokens?page=2")).text())).toEqual(order.slice(50, 100));

    for (const state of ["valid", "used_up", "expired", "revoked"] as const) {
      const expected = order.filter((t) => stateOf(records.find((r) => r.token === t)!) === state);
      const shown: string[] = [];
      for (let page = 1; page <= Math.max(1, Math.ceil(expected.length / 50)); page++) shown.push(...rowsOf(await (await client.get(`/tokens?state=${state}&page=${page}`)).text()));
      expect(shown, state).toEqual(expected);
    }
    const byRecipient = await (await client.get(`/tokens?q=${encodeURIComponent("guest 7")}`)).text();
    expect(rowsOf(byRecipient)).toEqual(order.filter((t) => records.find((r) => r.token === t)!.issuedFor?.toLowerCase().includes("guest 7")));
    expect(rowsOf(byRecipient).length).toBeGreaterThan(0);

    const detail = await (await client.get(`/tokens/${encodeURIComponent(OLD[3])}`)).text();
    expect(detail).toContain('data-testid="stale-banner"');
    expect(detail).toContain('data-testid="as-of"');
    expect(stripTags(detail)).toContain("Guest 3");

    // A token valid at the last sync: no invite to send while nobody knows whether it still works.
    const valid = records.find((r) => stateOf(r) === "valid")!;
    const stored = await (await client.get(`/tokens/${encodeURIComponent(valid.token)}`)).text();
    expect(stored).toContain('data-testid="stale-banner"');
    expect(stored).not.toContain('data-testid="invite-link"');
    clearFault(); // control: live again, the same page offers the invite and no banner
    const live = await (await client.get(`/tokens/${encodeURIComponent(valid.token)}`)).text();
    expect(live).toContain('data-testid="invite-link"');
    expect(live).not.toContain('data-testid="stale-banner"');
    expect(live).not.toContain('data-testid="as-of"');
  }, 60_000);
});

describe("after the faults", () => {
  it("collectors recover by themselves once the homeserver is back", async () => {
    clearFault();
    const db = steward.database.db;
    // Let the backoff pass (move the failed runs back in time instead of sleeping).
    await travel(3_600);
    await scheduler.tick();
    await scheduler.drain();
    const statuses = await collectorStatus(db, COLLECTORS.map((c) => c.name));
    for (const s of statuses) {
      expect(s.lastRun?.status, `${s.name}: ${s.lastRun?.error}`).toBe("ok");
      expect(s.consecutiveFailures).toBe(0);
    }
    const overview = stripTags(await (await client.get("/")).text());
    expect(overview).not.toMatch(/collection failed/i);
  }, 60_000);

  it("left no unhandled rejection and the server still answers", async () => {
    expect((await client.get("/healthz")).status).toBe(200);
    expect((await client.get("/tokens")).status).toBe(200);
    expect(rejections).toEqual([]);
  });
});

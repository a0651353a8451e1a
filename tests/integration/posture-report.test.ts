// The security report through the real server: "Scan now" runs the posture collector with progress, the page's
// counts and filters match the simulator's truth, the CSV export is neutralised against formulas, /metrics has the
// gauges, and a nudge goes from selection to preview to sent notices (CSRF-checked, audited).
import { isInertMatrixId } from "../../app/services/posture/export.server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eq } from "drizzle-orm";
import { attachCollectors } from "../../server/collectors";
import { auditEvents, postureUsers } from "../../db/schema";
import { TestClient } from "../helpers/http";
import { startTestSteward, type TestSteward } from "../helpers/steward";
import { startSimulator, type Simulator } from "../simulator/index";

let sim: Simulator;
let steward: TestSteward;
let c: TestClient;
let csrf: string;

beforeAll(async () => {
  sim = await startSimulator({ users: 40, seed: 11 });
  steward = await startTestSteward({ homeserverUrl: sim.url, attach: (ctx) => attachCollectors(ctx) });
  c = new TestClient(steward.url);
  const res = await c.signIn("admin", "admin", sim.url);
  expect(res.status).toBe(302);
  csrf = await c.csrfToken("/security");
});
afterAll(async () => {
  await steward?.close();
  await sim?.close();
});

async function waitForScan(): Promise<{ status: string; items: number; total: number | null }> {
  for (let i = 0; i < 300; i++) {
    const s = (await (await c.get("/api/collectors/posture", { Accept: "application/json" })).json()) as { run: { status: string; items: number; total: number | null } | null };
    if (s.run && s.run.status !== "running") return s.run;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error("scan did not finish");
}

/** A minimal RFC 4180 parser (quoted cells, doubled quotes, CRLF). */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') (cell += '"'), i++;
      else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ",") row.push(cell), (cell = "");
    else if (ch === "\r" && text[i + 1] === "\n") row.push(cell), rows.push(row), (row = []), (cell = ""), i++;
    else cell += ch;
  }
  return rows;
}

describe("security report", () => {
  it("shows that no scan exists yet, then 'Scan now' runs one with progress", async () => {
    const empty = await (await c.get("/security")).text();
    expect(empty).toContain("No complete scan yet.");
    const start = await c.request("/api/collectors/posture", { method: "POST", headers: { Accept: "application/json", "X-CSRF-Token": csrf } });
    expect(start.status).toBeLessThan(300);
    const run = await waitForScan();
    expect(run.status).toBe("ok");
    expect(run.items).toBe(run.total);
    expect(run.items).toBe([...sim.state.users.values()].filter((u) => !u.is_guest).length);
  });

  it("counts and filters match the scan's rows and the simulator", async () => {
    const rows = await steward.database.db.select().from(postureUsers);
    const active = rows.filter((r) => r.category === "active");
    const html = await (await c.get("/security")).text();
    const fully = active.filter((r) => r.fullySecured === "ok").length;
    expect(fully).toBeGreaterThan(0);
    expect(html).toMatch(new RegExp(`data-check="fully_secured"[^]*?>${fully}</a>`));
    // Filter: users missing cross-signing (default scope) — exactly those rows, nobody else.
    const missing = active.filter((r) => r.crossSigning === "missing").map((r) => r.userId).sort();
    const page = await (await c.get("/security?check=cross_signing&status=missing")).text();
    const shown = [...page.matchAll(/<tr data-user="([^"]+)"/g)].map((m) => m[1].replace(/&amp;/g, "&")).sort();
    expect(shown).toEqual(missing.slice(0, 50));
    // Deactivated users appear only when included.
    const deact = rows.find((r) => r.category === "deactivated")!;
    expect(page).not.toContain(`data-user="${deact.userId}"`);
    const withDeact = await (await c.get(`/security?include=deactivated&q=${encodeURIComponent(deact.userId)}`)).text();
    expect(withDeact).toContain(`data-user="${deact.userId}"`);
    // A bad number is reported beside its field and the rest of the page still works.
    const bad = await (await c.get("/security?more=abc")).text();
    expect(bad).toContain("Enter a whole number of sessions from 0 to 10000.");
    expect(bad).toContain('data-testid="posture-table"');
  });

  it("totals of searches and stale-session filters match the rows, on the page and past the last one", async () => {
    const rows = await steward.database.db.select().from(postureUsers);
    const active = rows.filter((r) => r.category === "active");
    // "Nudge everyone in this filter" counts the users of the filter who are missing something.
    const everyone = (html: string) =>
      html.includes("No one in this filter is missing anything") ? 0 : Number(/Nudge everyone in this filter who is missing something \((?:<!-- -->)?([\d,]+)/.exec(html)?.[1].replace(/,/g, ""));
    const shown = (html: string) => [...html.matchAll(/<tr data-user="([^"]+)"/g)].length;
    const missing = (rs: typeof active) => rs.filter((r) => r.fullySecured === "missing").length;
    const cases: Array<[string, typeof active]> = [
      [`q=${encodeURIComponent(`:${sim.serverName}`)}`, active],
      [`q=${encodeURIComponent(active[0].userId)}`, [active[0]]],
      ["stale=1", active.filter((r) => r.staleDevices > 0)],
      ["more=1", active.filter((r) => r.devices > 1)],
    ];
    for (const [qs, matching] of cases) {
      const n = matching.length;
      expect(n, qs).toBeGreaterThan(0);
      expect(n, qs).toBeLessThan(50); // one page (on PGlite the total then comes from the rows, not a count)
      const first = await (await c.get(`/security?${qs}`)).text();
      expect([shown(first), everyone(first)], qs).toEqual([n, missing(matching)]);
      const beyond = await (await c.get(`/security?${qs}&page=3`)).text();
      expect([shown(beyond), everyone(beyond)], `${qs}, page 3`).toEqual([0, missing(matching)]);
    }
  });

  it("the action buttons count the same users from the scan's summary (unfiltered) as from the rows (filtered)", async () => {
    const rows = await steward.database.db.select().from(postureUsers);
    const counts = (html: string) => ({
      nudge: html.includes("No one in this filter is missing anything") ? 0 : Number(/Nudge everyone in this filter who is missing something \((?:<!-- -->)?([\d,]+)/.exec(html)?.[1].replace(/,/g, "")),
      unverified: html.includes("No one in this filter has an unverified session") ? 0 : Number(/of these (?:<!-- -->)?([\d,]+) users?(?:<!-- -->)?…/.exec(html)?.[1].replace(/,/g, "")),
      stale: /No one in this filter has a session unseen/.test(html) ? 0 : Number(/days \((?:<!-- -->)?([\d,]+) users?(?:<!-- -->)?\)…/.exec(html)?.[1].replace(/,/g, "")),
    });
    const expected = (rs: typeof rows) => {
      const live = rs.filter((r) => r.category !== "deactivated");
      return { nudge: live.filter((r) => r.fullySecured === "missing").length, unverified: live.filter((r) => r.unverifiedDevices > 0).length, stale: live.filter((r) => r.staleDevices > 0).length };
    };
    const active = rows.filter((r) => r.category === "active");
    const want = expected(active);
    expect(want.nudge * want.unverified * want.stale, "the seeded world has users for every button").toBeGreaterThan(0);
    // Unfiltered scopes come from the summary; the same scope with a search matching everyone reads the rows.
    expect(counts(await (await c.get("/security")).text())).toEqual(want);
    expect(counts(await (await c.get(`/security?q=${encodeURIComponent(`:${sim.serverName}`)}`)).text())).toEqual(want);
    const withDeact = rows.filter((r) => r.category === "active" || r.category === "deactivated");
    expect(counts(await (await c.get("/security?include=deactivated")).text())).toEqual(expected(withDeact));
  });

  it("exports CSV with formula-looking cells neutralised", async () => {
    const res = await c.get("/security/export.csv?include=deactivated&include=bot&include=support&include=appservice");
    expect(res.headers.get("content-type")).toMatch(/text\/csv/);
    const table = parseCsv((await res.text()).replace(/^\uFEFF/, ""));
    const [header, ...body] = table;
    // The category (a plain word) first, so no line starts with "@" (issue 14, item 24).
    expect(header.slice(0, 3)).toEqual(["category", "user_id", "displayname"]);
    expect(body.length).toBe((await steward.database.db.select().from(postureUsers)).length);
    // Only a well-formed Matrix ID may start with "@" (it cannot start a formula); nothing else starts a formula.
    for (const cells of body) for (const cell of cells) if (!isInertMatrixId(cell)) expect(cell, cell).not.toMatch(/^[=+\-@\t\r]/);
    // The hostile display name is there, defused.
    const hostile = [...sim.state.users.values()].find((u) => u.displayname?.startsWith("=HYPERLINK"));
    if (hostile) expect(body.some((r) => r[2] === `'${hostile.displayname}`)).toBe(true);
    expect(body.every((r) => /^[a-z]+$/.test(r[0]) && r[1].startsWith("@"))).toBe(true);
    const json = (await (await c.get("/security/export.json")).json()) as { users: Array<{ user_id: string }> };
    expect(json.users.length).toBe((await steward.database.db.select().from(postureUsers).where(eq(postureUsers.category, "active"))).length);
  });

  it("publishes the gauges on /metrics", async () => {
    const text = await (await fetch(`${steward.url}/metrics`)).text();
    const rows = (await steward.database.db.select().from(postureUsers)).filter((r) => r.category === "active");
    for (const status of ["ok", "missing", "unknown"] as const) {
      const n = rows.filter((r) => r.fullySecured === status).length;
      expect(text).toContain(`steward_security_users{check="fully_secured",status="${status}"} ${n}`);
    }
  });

  it("nudges selected users: preview, then send, recorded and audited", async () => {
    const rows = await steward.database.db.select().from(postureUsers).where(eq(postureUsers.fullySecured, "missing"));
    const targets = rows.filter((r) => r.category === "active").slice(0, 2).map((r) => r.userId);
    const qs = targets.map((u) => `user=${encodeURIComponent(u)}`).join("&");
    const page = await (await c.get(`/security/nudge?${qs}`)).text();
    expect(page).toContain("The nudge goes to 2 users");
    const batchId = /name="batchId" value="([^"]+)"/.exec(page)![1];
    const form = { csrf, selection: qs, batchId, templateId: "secure-backup", body: "Hi {user_id}, please set up Secure Backup. Ask {admin_contact}." };
    const noCsrf = await c.postForm(`/security/nudge?${qs}`, { ...form, csrf: "nope", intent: "send" });
    expect(noCsrf.status).toBe(403);
    const badBody = await c.postForm(`/security/nudge?${qs}`, { ...form, body: "Hi {name}", intent: "preview" });
    expect(badBody.status).toBe(400);
    expect(await badBody.text()).toContain("Unknown placeholder");
    const preview = await (await c.postForm(`/security/nudge?${qs}`, { ...form, intent: "preview" })).text();
    expect(preview).toContain(`Hi ${targets[0]}, please set up Secure Backup.`);
    const sent = await c.postForm(`/security/nudge?${qs}`, { ...form, intent: "send" });
    expect(sent.status).toBe(200);
    expect(await sent.text()).toContain("Sent 2 server notices.");
    for (const u of targets) expect(sim.state.posture.notices.filter((n) => n.user_id === u)).toHaveLength(1);
    // The same form again (double submit) sends nothing new.
    await c.postForm(`/security/nudge?${qs}`, { ...form, intent: "send" });
    for (const u of targets) expect(sim.state.posture.notices.filter((n) => n.user_id === u)).toHaveLength(1);
    const audit = await steward.database.db.select().from(auditEvents).where(eq(auditEvents.action, "posture.nudge"));
    expect(audit[0]).toMatchObject({ actor: "@admin:sim.test", outcome: "ok" });
    // The user's own page shows their posture and the nudge.
    const userPage = await (await c.get(`/users/${encodeURIComponent(targets[0])}`)).text();
    expect(userPage).toContain('data-testid="posture-panel"');
    expect(userPage).toContain("Last nudged");
    expect(userPage).toContain('data-check="fully_secured" data-status="missing"');
  });
});

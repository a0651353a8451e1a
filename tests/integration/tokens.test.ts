/**
 * The admin side of registration tokens through the real server against the simulator: the joined list
 * (outside-Steward tokens, the 0-uses hazard), issuing with each validation error beside its field, duplicates,
 * editing, adopting, revoking by DELETE, reconcile after a lost record write, and the audit trail with actors.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eq } from "drizzle-orm";
import { startSimulator, type Simulator } from "../simulator/index";
import { startTestSteward, type TestSteward } from "../helpers/steward";
import { TestClient } from "../helpers/http";
import { auditEvents, registrationTokenRecords } from "../../db/schema";

let sim: Simulator;
let steward: TestSteward;
let admin: TestClient;
let csrf: string;

beforeAll(async () => {
  sim = await startSimulator({ users: 4, seed: 3 });
  steward = await startTestSteward({ homeserverUrl: sim.url, env: { PUBLIC_BASE_URL: "https://chat.example.org" } });
  admin = new TestClient(steward.url);
  expect((await admin.signIn("admin", "admin", sim.url)).status).toBe(302);
  csrf = await admin.csrfToken("/tokens");
});
afterAll(async () => {
  await steward?.close();
  await sim?.close();
});

const ADMIN = "@admin:sim.test";
/** The page as rendered, without the serialized loader/action data (which would match any text). */
const text = async (res: Response) => (await res.text()).replace(/<(script|style)[\s\S]*?<\/\1>/g, "");
const db = () => steward.database.db;
const audits = async (action: string) => (await db().select().from(auditEvents)).filter((a) => a.action === action);
const issue = (fields: Record<string, string>) =>
  admin.postForm("/tokens/new", { csrf, issuedFor: "", note: "", uses: "1", expires: "7d", token: "", length: "", ...fields });

describe("token list", () => {
  it("shows every homeserver token, marks those created outside Steward and flags the 0-uses hazard", async () => {
    const res = await admin.get("/tokens");
    expect(res.status).toBe(200);
    const html = await text(res);
    for (const t of sim.state.registrationTokens.keys()) expect(html).toContain(t);
    expect(html).toContain("created outside Steward");
    expect(html).toContain("has 0 uses allowed");
    expect(html).toContain("Revoke zero-uses-hazard now");
    const records = await db().select().from(registrationTokenRecords);
    expect(records.map((r) => r.token).sort()).toEqual([...sim.state.registrationTokens.keys()].sort());
    expect(records.every((r) => r.origin === "outside")).toBe(true);
    // Synapse does not say when they were made: the list says when Steward first saw each, not "issued just now".
    expect(html.match(/data-testid="first-seen"/g)?.length).toBe(sim.state.registrationTokens.size);
    const detail = await text(await admin.get("/tokens/book-club-2026"));
    expect(detail).toContain("outside Steward (Steward first listed it");
  });

  it("filters by state and searches", async () => {
    const usedUp = await text(await admin.get("/tokens?state=used_up"));
    expect(usedUp).toContain("family.only");
    expect(usedUp).not.toContain(">welcome-friends<");
    const search = await text(await admin.get("/tokens?q=book"));
    expect(search).toContain("book-club-2026");
    expect(search).not.toContain(">family.only<");
  });
});

describe("issuing", () => {
  it.each([
    [{ uses: "0" }, "0 is not allowed"],
    [{ uses: "-2" }, "whole number of 1 or more"],
    [{ token: "bad token!" }, "Use only letters"],
    [{ token: "a".repeat(65) }, "at most 64 characters"],
    [{ length: "65" }, "length from 8 to 64"],
    [{ length: "4" }, "length from 8 to 64"],
    [{ expires: "custom", expiresAt: "2020-01-01T00:00" }, "must be in the future"],
  ])("refuses %o with the error beside its field", async (fields, message) => {
    const before = sim.state.registrationTokens.size;
    const res = await issue(fields);
    expect(res.status).toBe(400);
    expect(await text(res)).toContain(message);
    expect(sim.state.registrationTokens.size).toBe(before);
  });

  it("says clearly when the chosen token already exists", async () => {
    const res = await issue({ token: "welcome-friends" });
    expect(res.status).toBe(400);
    expect(await text(res)).toContain("A token with this text already exists");
    expect((await audits("token.create")).some((a) => a.outcome === "refused" && a.target === "welcome-friends")).toBe(true);
  });

  it("issues on the homeserver, records who and for whom, shows the invite and audits it", async () => {
    const res = await issue({ issuedFor: "Bob", note: "from the club", uses: "3", expires: "30d", length: "12" });
    expect(res.status).toBe(302);
    const location = res.headers.get("location")!;
    const token = decodeURIComponent(/\/tokens\/([^?]+)/.exec(location)![1]);
    expect(token).toHaveLength(12);
    const live = sim.state.registrationTokens.get(token)!;
    expect(live.uses_allowed).toBe(3);
    expect(live.expiry_time! - sim.clock.now()).toBeGreaterThan(29 * 86_400_000);
    const [rec] = await db().select().from(registrationTokenRecords).where(eq(registrationTokenRecords.token, token));
    expect(rec).toMatchObject({ origin: "steward", issuedBy: ADMIN, issuedFor: "Bob", note: "from the club" });
    const page = await text(await admin.get(location));
    expect(page).toContain("Token issued");
    expect(page).toContain(`https://chat.example.org/register?token=${encodeURIComponent(token)}`);
    expect(page).toContain("data:image/svg+xml;base64,");
    expect(page).toContain("Hi Bob,");
    expect(page).toContain(`by ${ADMIN}`);
    expect(page).not.toContain("first listed it");
    const created = await audits("token.create");
    expect(created.some((a) => a.target === token && a.actor === ADMIN && a.outcome === "ok")).toBe(true);
  });

  it("edits uses and expiry, refusing 0", async () => {
    await issue({ token: "edit-me", uses: "2" });
    const zero = await admin.postForm("/tokens/edit-me", { csrf, intent: "edit", uses: "0", expires: "keep" });
    expect(zero.status).toBe(400);
    expect(await text(zero)).toContain("0 is not allowed");
    expect(sim.state.registrationTokens.get("edit-me")!.uses_allowed).toBe(2);
    const ok = await admin.postForm("/tokens/edit-me", { csrf, intent: "edit", uses: "", expires: "never" });
    expect(ok.status).toBe(302);
    expect(sim.state.registrationTokens.get("edit-me")).toMatchObject({ uses_allowed: null, expiry_time: null });
    expect((await audits("token.update")).some((a) => a.target === "edit-me" && a.actor === ADMIN && a.outcome === "ok")).toBe(true);
  });

  it("refuses a mutation without the CSRF token", async () => {
    const res = await admin.postForm("/tokens/edit-me", { intent: "revoke" });
    expect(res.status).toBe(403);
    expect(sim.state.registrationTokens.has("edit-me")).toBe(true);
  });
});

describe("revoke, adopt, reconcile", () => {
  it("revokes by DELETE (never uses_allowed 0) and keeps the record as revoked by whom", async () => {
    const confirm = await text(await admin.get("/tokens/book-club-2026?confirm=revoke"));
    expect(confirm).toContain("Yes, revoke this token");
    const res = await admin.postForm("/tokens/book-club-2026", { csrf, intent: "revoke" });
    expect(res.status).toBe(302);
    expect(sim.state.registrationTokens.has("book-club-2026")).toBe(false);
    const [rec] = await db().select().from(registrationTokenRecords).where(eq(registrationTokenRecords.token, "book-club-2026"));
    expect(rec.revokedBy).toBe(ADMIN);
    expect(rec.revokedAt).toBeInstanceOf(Date);
    const list = await text(await admin.get("/tokens?state=revoked"));
    expect(list).toContain("book-club-2026");
    expect((await audits("token.revoke")).some((a) => a.target === "book-club-2026" && a.actor === ADMIN)).toBe(true);
  });

  it("adopts a token created outside Steward", async () => {
    const res = await admin.postForm("/tokens/welcome-friends", { csrf, intent: "adopt", issuedFor: "The neighbours", note: "made with synadm" });
    expect(res.status).toBe(302);
    const [rec] = await db().select().from(registrationTokenRecords).where(eq(registrationTokenRecords.token, "welcome-friends"));
    expect(rec).toMatchObject({ origin: "adopted", issuedFor: "The neighbours", adoptedBy: ADMIN });
    expect((await audits("token.adopt")).some((a) => a.target === "welcome-friends" && a.actor === ADMIN)).toBe(true);
  });

  it("repairs a lost record write and marks tokens deleted elsewhere", async () => {
    await issue({ token: "lost-record", issuedFor: "Carol" });
    await db().delete(registrationTokenRecords).where(eq(registrationTokenRecords.token, "lost-record"));
    sim.state.registrationTokens.delete("edit-me"); // deleted with another tool
    const html = await text(await admin.get("/tokens"));
    expect(html).toContain("lost-record");
    const rows = await db().select().from(registrationTokenRecords);
    expect(rows.find((r) => r.token === "lost-record")?.origin).toBe("outside");
    expect(rows.find((r) => r.token === "edit-me")?.revokedBy).toBe("(deleted outside Steward)");
  });
});

describe("under MAS", () => {
  it("says plainly that the token API is not available", async () => {
    const mas = await startSimulator({ users: 1, mas: true });
    const s = await startTestSteward({ homeserverUrl: mas.url });
    try {
      const c = new TestClient(s.url);
      // MAS unmounts /login: sign in with the admin's access token instead.
      const signIn = await c.postForm("/login", { homeserver: mas.url, mode: "token", accessToken: mas.adminToken });
      expect(signIn.status).toBe(302);
      const html = await text(await c.get("/tokens"));
      expect(html).toContain("Matrix Authentication Service");
    } finally {
      await s.close();
      await mas.close();
    }
  });
});

/**
 * The public invite page through the real server, without JavaScript (plain form posts): the validity check
 * first, the form's own CSRF, every error mapping, the UIA flow with both stage names, no access token kept,
 * the PUBLIC_REGISTRATION switch and the per-IP limit.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSimulator, type Simulator } from "../simulator/index";
import { addRegistrationToken } from "../simulator/state-tokens";
import { startTestSteward, type TestSteward } from "../helpers/steward";
import { TestClient } from "../helpers/http";
import { auditEvents, rateLimits } from "../../db/schema";

let sim: Simulator;
let steward: TestSteward;

beforeAll(async () => {
  sim = await startSimulator({ users: 4, seed: 5 });
  steward = await startTestSteward({ homeserverUrl: sim.url, env: { ADMIN_CONTACT: "@admin:sim.test" } });
});
afterAll(async () => {
  await steward?.close();
  await sim?.close();
});

/** The page as rendered, without the serialized loader/action data (which would match any text). */
const visible = (html: string) => html.replace(/<(script|style)[\s\S]*?<\/\1>/g, "");

/** Opens the invite page like a browser and returns the client (with its cookie) and the form's hidden fields. */
async function openInvite(token: string, base = steward.url) {
  const c = new TestClient(base);
  const res = await c.get(`/register?token=${encodeURIComponent(token)}`);
  const html = visible(await res.text());
  const csrf = /name="csrf" value="([^"]*)"/.exec(html)?.[1] ?? "";
  return { c, res, html, csrf };
}

/** Posts the form where the page's own <form action> points (the token stays in the URL). */
async function submit(token: string, fields: Record<string, string>, base = steward.url) {
  const { c, csrf } = await openInvite(token, base);
  return c.postForm(actionOf(token), { csrf, token, username: "", password: "", confirm: "", ...fields });
}
const actionOf = (token: string) => `/register?index&token=${encodeURIComponent(token)}`;
const text = async (res: Response) => visible(await res.text());

describe("invite page", () => {
  it("shows the labelled form for a valid invite, with a CSRF cookie", async () => {
    const { res, html, c } = await openInvite("welcome-friends");
    expect(res.status).toBe(200);
    for (const label of [">Username</label>", ">Password</label>", ">Confirm password</label>", "Create account"]) expect(html).toContain(label);
    expect(c.cookies.has("steward_invite")).toBe(true);
  });

  it.each(["nosuchtoken", "family.only", "old~summer~party", "bad token!"])("gives the friendly page for %s and reveals nothing", async (token) => {
    const { html } = await openInvite(token);
    expect(html).toContain("This invite does not work");
    expect(html).toContain("Ask your admin for a new one");
    expect(html).not.toContain("Create account");
    expect(html).not.toContain(token === "bad token!" ? "bad token" : token);
  });

  it("asks for an invite when there is no token", async () => {
    expect(await text(await new TestClient(steward.url).get("/register"))).toContain("You need an invite");
  });
});

describe("registering", () => {
  it("refuses a post without the form's token", async () => {
    const c = new TestClient(steward.url);
    const res = await c.postForm(actionOf("welcome-friends"), { token: "welcome-friends", username: "sneaky", password: "long-enough-1", confirm: "long-enough-1" });
    expect(res.status).toBe(403);
    expect(sim.state.users.has("@sneaky:sim.test")).toBe(false);
  });

  it("checks the fields before asking the server", async () => {
    const mismatch = await submit("welcome-friends", { username: "zed", password: "long-enough-1", confirm: "other-thing-2" });
    expect(await text(mismatch)).toContain("The two passwords are not the same.");
    const short = await submit("welcome-friends", { username: "zed", password: "short", confirm: "short" });
    expect(await text(short)).toContain("at least 8 characters");
    const bad = await submit("welcome-friends", { username: "_zed", password: "long-enough-1", confirm: "long-enough-1" });
    expect(await text(bad)).toContain("may not start with _");
  });

  it("maps a taken username beside the field", async () => {
    const taken = [...sim.state.users.values()].find((u) => !u.admin)!.localpart;
    const res = await submit("welcome-friends", { username: taken, password: "long-enough-1", confirm: "long-enough-1" });
    expect(res.status).toBe(400);
    expect(await text(res)).toContain("already taken");
  });

  it("registers through the UIA flow, keeps no access token, counts the use and welcomes the user", async () => {
    addRegistrationToken(sim.state, { token: "for-dana", uses_allowed: 1 });
    const res = await submit("for-dana", { username: "Dana", password: "long-enough-1", confirm: "long-enough-1" });
    expect(res.status).toBe(302);
    const welcome = res.headers.get("location")!;
    expect(welcome).toMatch(/^\/register\/welcome\?/);
    expect(sim.state.users.get("@dana:sim.test")?.password).toBe("long-enough-1");
    expect(sim.state.registrationTokens.get("for-dana")).toMatchObject({ pending: 0, completed: 1 });
    expect([...sim.state.tokens.values()].some((t) => t.user_id === "@dana:sim.test")).toBe(false);
    const page = await text(await new TestClient(steward.url).get(welcome));
    expect(page).toContain("@dana:sim.test");
    expect(page).toContain("recovery key");
    expect(page).toContain("Secure Backup");
    expect(page).toContain("@admin:sim.test");
    const audit = await steward.database.db.select().from(auditEvents);
    expect(audit.some((a) => a.action === "register.complete" && a.actor === "@dana:sim.test" && a.target === "for-dana")).toBe(true);
    // A forged welcome link is refused.
    expect((await new TestClient(steward.url).get("/register/welcome?u=%40evil%3Asim.test&s=x")).status).toBe(404);
  });

  it("shows the friendly page when the token is refused at the token stage (used up meanwhile)", async () => {
    addRegistrationToken(sim.state, { token: "race", uses_allowed: 1 });
    const { c, csrf } = await openInvite("race");
    sim.state.registrationTokens.get("race")!.completed = 1;
    const res = await c.postForm(actionOf("race"), { csrf, token: "race", username: "racer", password: "long-enough-1", confirm: "long-enough-1" });
    expect(await text(res)).toContain("This invite does not work");
    expect(sim.state.users.has("@racer:sim.test")).toBe(false);
  });

  it("says the server is down when it fails", async () => {
    sim.injectFault({ kind: "status500", path: "/_matrix/client/v3/register", times: 1 });
    const res = await submit("welcome-friends", { username: "unlucky", password: "long-enough-1", confirm: "long-enough-1" });
    expect(await text(res)).toContain("not answering right now");
  });

  it("serves the live username check only to holders of an invite form", async () => {
    const { c, csrf } = await openInvite("welcome-friends");
    const ok = await c.get("/register/available?username=freshname", { "X-Invite-Form": csrf });
    expect(await ok.json()).toEqual({ available: true });
    const taken = await c.get("/register/available?username=admin", { "X-Invite-Form": csrf });
    expect(await taken.json()).toMatchObject({ available: false });
    expect((await new TestClient(steward.url).get("/register/available?username=admin")).status).toBe(403);
  });
});

describe("server variants and switches", () => {
  /** Points the public pages at another homeserver for one case (they read the config on each request). */
  async function against<T>(other: Simulator, fn: () => Promise<T>): Promise<T> {
    const config = steward.context.config;
    const saved = config.homeserverUrl;
    config.homeserverUrl = other.url;
    try {
      return await fn();
    } finally {
      config.homeserverUrl = saved;
    }
  }

  it("uses the MSC3231 stage on Synapse 1.50", async () => {
    const old = await startSimulator({ users: 1, version: "1.50.0" });
    try {
      const res = await against(old, () => submit("welcome-friends", { username: "oldtimer", password: "long-enough-1", confirm: "long-enough-1" }));
      expect(res.status).toBe(302);
      expect(old.state.registrationTokens.get("welcome-friends")!.completed).toBe(4);
    } finally {
      await old.close();
    }
  });

  it("says when registration is switched off, and maps the homeserver's rate limit with the wait", async () => {
    await steward.database.db.delete(rateLimits); // earlier tests used up this address's own submissions
    const off = await startSimulator({ users: 1, enableRegistration: false });
    const limited = await startSimulator({ users: 1, rateLimits: true });
    try {
      expect(await against(off, async () => (await openInvite("welcome-friends")).html)).toContain("Sign-ups are closed");
      const results: string[] = [];
      for (const name of ["lim1", "lim2", "lim3", "lim4"]) {
        const r = await against(limited, () => submit("welcome-friends", { username: name, password: "long-enough-1", confirm: "long-enough-1" }));
        results.push(r.status === 302 ? "ok" : await text(r));
      }
      expect(results.slice(0, 3)).toEqual(["ok", "ok", "ok"]);
      expect(results[3]).toMatch(/Too many attempts right now\. Please wait \d+ seconds/);
    } finally {
      await Promise.all([off.close(), limited.close()]);
    }
  });

  it("answers 404 when PUBLIC_REGISTRATION is off", async () => {
    steward.context.config.publicRegistration = false;
    try {
      expect((await new TestClient(steward.url).get("/register?token=welcome-friends")).status).toBe(404);
      expect((await new TestClient(steward.url).get("/register/welcome?u=x&s=y")).status).toBe(404);
    } finally {
      steward.context.config.publicRegistration = true;
    }
  });

  it("limits submissions per address, counting only attempts that reach the homeserver, and says the wait in minutes", async () => {
    await steward.database.db.delete(rateLimits);
    // One page, many posts (each post re-renders the page, which counts as a view too).
    const { c, csrf } = await openInvite("welcome-friends");
    const post = (fields: Record<string, string>) => c.postForm(actionOf("welcome-friends"), { csrf, token: "welcome-friends", ...fields });
    // Mistakes the page catches itself (a short password, a bad name) never count: 6 of them, and still no limit.
    const mistakes: number[] = [];
    for (let i = 0; i < 6; i++) mistakes.push((await post({ username: i % 2 ? `x${i}` : "12345", password: "a", confirm: "a" })).status);
    expect(mistakes).toEqual(Array(6).fill(400));
    // A taken name reaches the homeserver: 10 of those, then the limit.
    const taken = { username: "admin", password: "long-enough-1", confirm: "long-enough-1" };
    const statuses: number[] = [];
    for (let i = 0; i < 11; i++) statuses.push((await post(taken)).status);
    expect(statuses).toEqual([...Array(10).fill(400), 429]);
    const last = await text(await post(taken));
    expect(last).toMatch(/Please wait about (\d+ minutes|a minute) and try again/);
    expect(last).not.toMatch(/\d{3} seconds/);
  });

  it("says which server the invitee joins, that capitals become lowercase, and password sizes in words", async () => {
    await steward.database.db.delete(rateLimits);
    const { html } = await openInvite("welcome-friends");
    expect(html).toMatch(/invited to join the Matrix chat server <strong[^>]*>sim\.test<\/strong>/);
    expect(html).toContain("Capital letters become lowercase.");
    const short = await text(await submit("welcome-friends", { username: "newbie3", password: "abc", confirm: "abc" }));
    expect(short).toContain("This password is too short: use at least 8 characters (it has 3).");
    const long = "x".repeat(600);
    const tooLong = await text(await submit("welcome-friends", { username: "newbie3", password: long, confirm: long }));
    expect(tooLong).toContain("This password is too long: use at most 512 characters (it has 600).");
    expect(tooLong).not.toMatch(/String must contain/);
  });
});

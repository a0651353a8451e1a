/**
 * Route enumeration: every route of the Remix build, read from build/index.js (so a new route is covered without
 * anyone remembering to add it), proves through the real server that
 * - an anonymous visitor gets the sign-in page (documents) or a 401 (JSON), unless the route is on the named
 *   public allow-list below;
 * - a signed-in admin whose account lost admin rights on the homeserver is refused (sessions are re-verified);
 * - every action refuses a POST without the CSRF token, with a wrong one, or from another Origin — and nothing
 *   changed: no audit entry, the simulator's state identical.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sql } from "drizzle-orm";
import { adminSessions } from "../../db/schema";
import { TestClient } from "../helpers/http";
import { builtRoutes, mintSession, simFingerprint, urlFor, type BuiltRoute } from "../helpers/routes";
import { startTestSteward, type TestSteward } from "../helpers/steward";
import { startSimulator, type Simulator } from "../simulator/index";

const METRICS_TOKEN = "scrape-me-0123456789";

/** Routes anyone may open, each with the reason; everything else must demand an admin session. */
const PUBLIC: Record<string, string> = {
  "routes/login": "the sign-in page itself",
  "routes/healthz": "liveness probe for the orchestrator; answers only that the process is alive",
  "routes/readyz": "readiness probe for the load balancer; reachability only, no data",
  "routes/metrics": "Prometheus scrape; requires the METRICS_TOKEN bearer when one is configured (checked below)",
  "routes/register._index": "the public invite page (its own CSRF cookie, Origin check and per-IP limits)",
  "routes/register.available": "the invite form's username check; refused without the invite form's token (checked below)",
  "routes/register.welcome": "the welcome page after registering; only with a signed link (checked below)",
  "routes/logout": "GET only redirects home; its POST needs a session and the CSRF token (checked below)",
  "routes/auth.mas": "starts a sign-in through the authentication service (MAS); refuses another Origin (checked below)",
  "routes/auth.callback": "where the authentication service returns; needs a single-use state bound to this browser (checked below)",
};

/** Actions that take no session CSRF token, each with the reason (they are still checked for Origin). */
const NO_SESSION_CSRF: Record<string, string> = {
  "routes/login": "pre-authentication: there is no session to ride; a cross-site Origin is refused instead",
  "routes/register._index": "public page: carries its own signed double-submit token (checked separately)",
  "routes/auth.mas": "pre-authentication, like sign-in: a cross-site Origin is refused instead (checked below)",
};

let sim: Simulator;
let steward: TestSteward;
let routes: BuiltRoute[];
let admin2: string;
let params: Record<string, string>;

beforeAll(async () => {
  sim = await startSimulator({ users: 12, seed: 7 });
  steward = await startTestSteward({ homeserverUrl: sim.url, env: { SESSION_REVERIFY_SECONDS: "0", METRICS_TOKEN } });
  routes = await builtRoutes();
  admin2 = [...sim.state.users.values()].find((u) => u.admin && u.name !== `@admin:${sim.serverName}` && !u.deactivated)!.name.slice(1).split(":")[0];
  // Plausible values for dynamic segments, from the simulator's own data.
  params = {
    token: [...sim.state.registrationTokens.keys()][0],
    userId: [...sim.state.users.values()].find((u) => !u.admin && !u.deactivated)!.name,
    destination: sim.state.federation.destinations.has("retrydue.example") ? "retrydue.example" : [...sim.state.federation.destinations.keys()][0],
    name: "posture",
    jobId: "1",
    // A MAS token's id (a ULID): on this classic homeserver its page answers 404 once the admin is known.
    tokenId: "01JDQ8Z3K4M5N6P7Q8R9S0T1VW",
  };
});
afterAll(async () => {
  await steward?.close();
  await sim?.close();
});

/** A form each action would accept with a valid CSRF token, so a missing check would really change something. */
function formFor(route: BuiltRoute): Record<string, string> {
  switch (route.id) {
    case "routes/_app.tokens.new":
      return { issuedFor: "csrf probe", note: "", uses: "1", expires: "7d", token: "csrf-probe", length: "" };
    case "routes/_app.tokens.$token":
      return { intent: "revoke" };
    case "routes/_app.federation.$destination":
      return { intent: "reset" };
    case "routes/_app.security.nudge":
      return { intent: "send", selection: `user=${encodeURIComponent(params.userId)}`, batchId: "probe-batch", templateId: "secure-backup", body: "Hi {user_id}" };
    case "routes/_app.security.sign-out":
      return { formId: "csrf-probe-form-0123456789", expected: "0" };
    case "routes/_app.users.deactivate":
      return { formId: "csrf-probe-form-0123456789", expected: "0" };
    case "routes/_app.bulk.$jobId":
      return { intent: "resume" };
    case "routes/register._index":
      return { token: params.token, username: "csrfprobe", password: "long-enough-1", confirm: "long-enough-1" };
    case "routes/login":
      return { homeserver: sim.url, mode: "password", username: "admin", password: "admin" };
    default:
      return { intent: "run" };
  }
}

async function auditCount(): Promise<number> {
  const res = await steward.database.db.execute<{ n: number }>(sql`select count(*)::int as n from audit_events`);
  return Number((res as unknown as { rows: { n: number }[] }).rows[0].n);
}

/** Runs `fn` and asserts that neither Steward's audit log nor the homeserver's state changed. */
async function expectNothingChanged(fn: () => Promise<void>) {
  const audit = await auditCount();
  const state = simFingerprint(sim);
  await fn();
  expect(await auditCount()).toBe(audit);
  expect(simFingerprint(sim)).toBe(state);
}

const isSignInRedirect = (res: Response) => res.status === 302 && (res.headers.get("location") ?? "").startsWith("/login");
const isRefused = (res: Response) =>
  isSignInRedirect(res) || res.status === 401 || res.status === 403 || (res.status === 204 && (res.headers.get("x-remix-redirect") ?? "").startsWith("/login"));

const protectedRoutes = () => routes.filter((r) => !PUBLIC[r.id]);
const actionRoutes = () => routes.filter((r) => r.hasAction);

function withSession(cookie: string) {
  const c = new TestClient(steward.url);
  c.cookies.set("steward_session", cookie);
  return c;
}

describe("route enumeration", () => {
  it("reads the routes from the build, and the allow-lists name only routes that exist", () => {
    const ids = routes.map((r) => r.id);
    expect(ids).toEqual(expect.arrayContaining(["routes/_app._index", "routes/_app.tokens.$token", "routes/login", "routes/api.collectors.$name"]));
    for (const id of [...Object.keys(PUBLIC), ...Object.keys(NO_SESSION_CSRF)]) expect(ids, `stale allow-list entry ${id}`).toContain(id);
    expect(protectedRoutes().length).toBeGreaterThan(10);
    expect(actionRoutes().length).toBeGreaterThan(5);
  });

  it("sends an anonymous document request to sign in, and answers a JSON request with 401", async () => {
    const c = new TestClient(steward.url);
    for (const r of protectedRoutes().filter((x) => x.hasLoader)) {
      const url = urlFor(r, params);
      const doc = await c.get(url, { Accept: "text/html" });
      expect(isSignInRedirect(doc), `${r.id} GET ${url} → ${doc.status}`).toBe(true);
      const data = await c.get(url, { Accept: "application/json" });
      expect(data.status, `${r.id} JSON GET ${url}`).toBe(401);
      const remix = await c.get(`${url}${url.includes("?") ? "&" : "?"}_data=${encodeURIComponent(r.id)}`);
      expect(isRefused(remix), `${r.id} _data GET → ${remix.status}`).toBe(true);
      expect(c.cookies.has("steward_session")).toBe(false);
    }
  });

  it("refuses an anonymous POST to every protected action and changes nothing", async () => {
    const c = new TestClient(steward.url);
    for (const r of protectedRoutes().filter((x) => x.hasAction)) {
      await expectNothingChanged(async () => {
        const res = await c.postForm(urlFor(r, params, true), { ...formFor(r), csrf: "x" });
        expect(isRefused(res), `${r.id} anonymous POST → ${res.status}`).toBe(true);
      });
    }
  });

  it("keeps the public routes to what they are for", async () => {
    const anon = new TestClient(steward.url);
    expect((await anon.get("/healthz")).status).toBe(200);
    expect([200, 503]).toContain((await anon.get("/readyz")).status);
    const metrics = await anon.get("/metrics");
    expect(metrics.status).toBe(401);
    expect(metrics.headers.get("www-authenticate")).toMatch(/^Bearer/);
    expect((await anon.get("/metrics", { Authorization: "Bearer wrong" })).status).toBe(401);
    expect((await anon.get("/metrics", { Authorization: `Bearer ${METRICS_TOKEN}` })).status).toBe(200);
    expect((await anon.get("/login")).status).toBe(200);
    expect((await anon.get("/register/available?username=admin")).status).toBe(403);
    expect((await anon.get(`/register/welcome?u=${encodeURIComponent(`@admin:${sim.serverName}`)}&s=forged`)).status).toBe(404);
    // The MAS sign-in routes: without a state this browser started, the callback signs no one in; a cross-site
    // start is refused (this server does not delegate to MAS, so a same-site start only explains that).
    const callback = await anon.get("/auth/callback?state=forged&code=forged", { Accept: "text/html" });
    expect(callback.status).toBe(400);
    expect(anon.cookies.has("steward_session")).toBe(false);
    expect((await anon.postForm("/auth/mas", { next: "/" }, { Origin: "https://evil.example" })).status).toBe(403);
    const sameSite = await anon.postForm("/auth/mas", { next: "/" }, { Origin: steward.url });
    expect(sameSite.status).toBe(400);
    expect(await sameSite.text()).toMatch(/does not delegate sign-in/);
    const logout = await anon.get("/logout");
    expect(logout.status).toBe(302);
    expect(logout.headers.get("location")).toBe("/");
  });
});

describe("an admin who lost admin rights", () => {
  it("is refused on every protected route, and the session ends", async () => {
    const user = sim.state.users.get(`@${admin2}:${sim.serverName}`)!;
    for (const r of protectedRoutes()) {
      for (const method of [r.hasLoader ? "GET" : null, r.hasAction ? "POST" : null].filter(Boolean)) {
        const s = await mintSession(steward, sim, admin2);
        const c = withSession(s.cookie);
        // Still an admin: the route works (not a redirect to sign in), so the refusal below is the lost right.
        if (method === "GET") expect(isSignInRedirect(await c.get(urlFor(r, params))), `${r.id} while admin`).toBe(false);
        user.admin = false;
        try {
          await expectNothingChanged(async () => {
            const res = method === "GET" ? await c.get(urlFor(r, params)) : await c.postForm(urlFor(r, params, true), { ...formFor(r), csrf: s.csrf });
            expect(isRefused(res), `${r.id} ${method} after losing admin → ${res.status}`).toBe(true);
            if (res.status === 302) expect(res.headers.get("location")).toContain("reason=not_admin");
          });
        } finally {
          user.admin = true;
        }
        const rows = await steward.database.db.select().from(adminSessions);
        expect(rows.filter((row) => row.userId === user.name)).toHaveLength(0);
      }
    }
  });
});

describe("CSRF and Origin on every action", () => {
  it("refuses a POST without the CSRF token, with a wrong one, or from another Origin, and changes nothing", async () => {
    const s = await mintSession(steward, sim, "admin");
    const c = withSession(s.cookie);
    for (const r of actionRoutes().filter((x) => !NO_SESSION_CSRF[x.id])) {
      const url = urlFor(r, params, true);
      await expectNothingChanged(async () => {
        const missing = await c.postForm(url, formFor(r));
        expect(missing.status, `${r.id} without CSRF`).toBe(403);
        const wrong = await c.postForm(url, { ...formFor(r), csrf: s.csrf.slice(0, -2) + "xx" });
        expect(wrong.status, `${r.id} with a wrong CSRF token`).toBe(403);
        const header = await c.request(url, { method: "POST", headers: { "X-CSRF-Token": "nope", Accept: "application/json" } });
        expect(header.status, `${r.id} with a wrong X-CSRF-Token`).toBe(403);
        const crossSite = await c.postForm(url, { ...formFor(r), csrf: s.csrf }, { Origin: "https://evil.example" });
        expect(crossSite.status, `${r.id} from another Origin`).toBe(403);
      });
    }
    // The session survived all that (a refused form is not a sign-out).
    expect((await c.get("/audit")).status).toBe(200);
  });

  it("refuses the public invite form without its token or from another Origin", async () => {
    const c = new TestClient(steward.url);
    const page = await (await c.get(`/register?token=${encodeURIComponent(params.token)}`)).text();
    const csrf = /name="csrf" value="([^"]+)"/.exec(page)?.[1];
    expect(csrf).toBeTruthy();
    const r = routes.find((x) => x.id === "routes/register._index")!;
    const url = `${urlFor(r, params, true)}&token=${encodeURIComponent(params.token)}`;
    await expectNothingChanged(async () => {
      expect((await c.postForm(url, formFor(r))).status).toBe(403);
      expect((await new TestClient(steward.url).postForm(url, { ...formFor(r), csrf: csrf! })).status).toBe(403); // no cookie
      expect((await c.postForm(url, { ...formFor(r), csrf: csrf! }, { Origin: "https://evil.example" })).status).toBe(403);
    });
  });

  it("refuses a cross-site sign-in (login CSRF) and creates no session", async () => {
    const before = (await steward.database.db.select().from(adminSessions)).length;
    const c = new TestClient(steward.url);
    const res = await c.postForm("/login", formFor(routes.find((x) => x.id === "routes/login")!), { Origin: "https://evil.example" });
    expect(res.status).toBe(403);
    expect(c.cookies.has("steward_session")).toBe(false);
    expect((await steward.database.db.select().from(adminSessions)).length).toBe(before);
  });

  it("control: the same forms with the right token and Origin do change things (the checks above can fail)", async () => {
    const s = await mintSession(steward, sim, "admin");
    const c = withSession(s.cookie);
    const r = routes.find((x) => x.id === "routes/_app.tokens.new")!;
    const audit = await auditCount();
    const state = simFingerprint(sim);
    const res = await c.postForm(urlFor(r, params, true), { ...formFor(r), csrf: s.csrf }, { Origin: steward.url });
    expect(res.status).toBe(302);
    expect(sim.state.registrationTokens.has("csrf-probe")).toBe(true);
    expect(await auditCount()).toBeGreaterThan(audit);
    expect(simFingerprint(sim)).not.toBe(state);
  });
});

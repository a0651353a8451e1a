/**
 * Token-leak scan: drive the main flows through the real server — sign in, every page (document, JSON and Remix
 * data requests), token issue/edit/revoke, a registration through an invite, every "refresh now", federation reset
 * and self-check, a security scan and a nudge, the CSV/JSON exports, sign-in errors with pasted tokens, and every
 * page again while the homeserver fails — recording every response body and header, every log line and the
 * session, audit and collector rows. No access token the homeserver issued during the run (the admin's, the new
 * users', HOMESERVER_ADMIN_TOKEN, tokens pasted into the sign-in form) may appear in any of them.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sql } from "drizzle-orm";
import { attachCollectors } from "../../server/collectors";
import { TestClient } from "../helpers/http";
import { builtRoutes, urlFor, type BuiltRoute } from "../helpers/routes";
import { startTestSteward, type TestSteward } from "../helpers/steward";
import { startSimulator, type Simulator } from "../simulator/index";

let sim: Simulator;
let steward: TestSteward;
let routes: BuiltRoute[];
/** Every access token the simulator held at any point of the run (logged-out tokens leave its state). */
const secrets = new Set<string>();
/** Everything Steward said: "label: headers + body". */
const seen: string[] = [];

function collectSecrets() {
  for (const t of sim.state.tokens.keys()) secrets.add(t);
}

/** A TestClient that records every response (status, headers, body) for the scan. */
class RecordingClient extends TestClient {
  override async request(path: string, init: RequestInit = {}): Promise<Response> {
    const res = await super.request(path, init);
    const body = await res.clone().text();
    seen.push(`${init.method ?? "GET"} ${path} ${res.status}\n${[...res.headers].map(([k, v]) => `${k}: ${v}`).join("\n")}\n\n${body}`);
    collectSecrets();
    return res;
  }
}

beforeAll(async () => {
  sim = await startSimulator({ users: 30, seed: 21 });
  collectSecrets();
  steward = await startTestSteward({
    homeserverUrl: sim.url,
    env: { HOMESERVER_ADMIN_TOKEN: sim.adminToken, SESSION_REVERIFY_SECONDS: "0", PUBLIC_REGISTRATION: "true", ADMIN_CONTACT: `@admin:${sim.serverName}` },
    attach: (ctx) => attachCollectors(ctx),
  });
  routes = await builtRoutes();
});
afterAll(async () => {
  await steward?.close();
  await sim?.close();
});

const visibleCsrf = (html: string) => /name="csrf" value="([^"]+)"/.exec(html)?.[1] ?? "";

const COLLECTOR_NAMES = ["user-counts", "tokens", "federation", "self-check", "posture"];

async function refreshAll(c: TestClient, csrf: string, expectOk: boolean, names = COLLECTOR_NAMES) {
  for (const name of names) {
    const start = await c.request(`/api/collectors/${name}`, { method: "POST", headers: { Accept: "application/json", "X-CSRF-Token": csrf } });
    expect(start.status, name).toBeLessThan(500);
    for (let i = 0; i < 300; i++) {
      const s = (await (await c.get(`/api/collectors/${name}`, { Accept: "application/json" })).json()) as { run: { status: string } | null };
      if (s.run && s.run.status !== "running") {
        if (expectOk) expect(s.run.status, name).toBe("ok");
        break;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

async function visitEveryPage(c: TestClient, params: Record<string, string>, documentsOnly = false) {
  for (const r of routes.filter((x) => x.hasLoader)) {
    const url = urlFor(r, params);
    await c.get(url, { Accept: "text/html" });
    if (documentsOnly) continue;
    await c.get(url, { Accept: "application/json" });
    await c.get(`${url}${url.includes("?") ? "&" : "?"}_data=${encodeURIComponent(r.id)}`);
  }
}

describe("token-leak scan", () => {
  it("drives every flow and finds no access token in any response, log line or stored row", async () => {
    const c = new RecordingClient(steward.url);
    expect((await c.get("/login")).status).toBe(200);
    expect((await c.signIn("admin", "admin", sim.url)).status).toBe(302);
    let csrf = await c.csrfToken("/");

    await refreshAll(c, csrf, true);

    // Tokens: issue, edit, revoke.
    const created = await c.postForm("/tokens/new", { csrf, issuedFor: "Leak probe", note: "scan", uses: "2", expires: "7d", token: "leak-probe", length: "" });
    expect(created.status).toBe(302);
    await c.get(created.headers.get("location")!);
    expect((await c.postForm("/tokens/leak-probe", { csrf, intent: "edit", uses: "3", expires: "never" })).status).toBeLessThan(400);
    const other = [...sim.state.registrationTokens.keys()].find((t) => t !== "leak-probe")!;
    expect((await c.postForm(`/tokens/${encodeURIComponent(other)}`, { csrf, intent: "revoke" })).status).toBeLessThan(400);

    // A registration through the invite (the homeserver issues the new user a token; Steward must drop it).
    const invitee = new RecordingClient(steward.url);
    const form = await (await invitee.get("/register?token=leak-probe")).text();
    const reg = await invitee.postForm("/register?index&token=leak-probe", { csrf: visibleCsrf(form), token: "leak-probe", username: "leaky", password: "long-enough-1", confirm: "long-enough-1" });
    expect(reg.status).toBe(302);
    await invitee.get(reg.headers.get("location")!);
    expect(sim.state.users.has(`@leaky:${sim.serverName}`)).toBe(true);

    // Federation: reset a failing destination, run the self-check.
    await c.postForm("/federation/retrydue.example", { csrf, intent: "reset" });
    await c.postForm("/federation/self-check", { csrf });

    // Security: nudge two users (preview, send), both exports.
    const targets = [...sim.state.users.values()].filter((u) => !u.admin && !u.deactivated && !u.is_guest).slice(0, 2).map((u) => u.name);
    const qs = targets.map((u) => `user=${encodeURIComponent(u)}`).join("&");
    const nudgePage = await (await c.get(`/security/nudge?${qs}`)).text();
    const batchId = /name="batchId" value="([^"]+)"/.exec(nudgePage)?.[1] ?? "";
    const nudge = { csrf, selection: qs, batchId, templateId: "secure-backup", body: "Hi {user_id}, please set up Secure Backup." };
    await c.postForm(`/security/nudge?${qs}`, { ...nudge, intent: "preview" });
    expect((await c.postForm(`/security/nudge?${qs}`, { ...nudge, intent: "send" })).status).toBe(200);
    expect(sim.state.posture.notices.length).toBeGreaterThan(0);
    expect((await c.get("/security/export.csv")).status).toBe(200);
    expect((await c.get("/security/export.json")).status).toBe(200);

    const params = { token: "leak-probe", userId: `@leaky:${sim.serverName}`, destination: "retrydue.example", name: "posture", jobId: "1", tokenId: "01JDQ8Z3K4M5N6P7Q8R9S0T1VW" };
    await visitEveryPage(c, params);
    await visitEveryPage(new RecordingClient(steward.url), params); // anonymous

    // The homeserver failing: 500s, then garbage. Pages, actions and collectors must fail without echoing a token.
    for (const kind of ["status500", "garbage"] as const) {
      sim.injectFault({ kind, path: "/" });
      try {
        await visitEveryPage(c, params, true);
        await c.postForm("/tokens/new", { csrf, issuedFor: "", note: "", uses: "1", expires: "7d", token: `fail-${kind}`, length: "" });
        await c.postForm("/federation/dead.example", { csrf, intent: "reset" });
        // Failing collectors log their errors: two of them (they retry with backoff, so all five would be slow).
        if (kind === "status500") await refreshAll(c, csrf, false, ["user-counts", "posture"]);
      } finally {
        sim.clearFaults();
      }
    }

    // Tokens pasted into the sign-in form: a non-admin's and a made-up one are never echoed back.
    const user = [...sim.state.users.values()].find((u) => !u.admin && !u.deactivated && !u.is_guest && u.password)!;
    const userToken = sim.tokenFor(user.name);
    collectSecrets();
    const bogus = "syt_bogus_0123456789abcdefABCDEF";
    secrets.add(bogus);
    const pasted = new RecordingClient(steward.url);
    expect((await pasted.postForm("/login", { homeserver: sim.url, mode: "token", accessToken: userToken })).status).toBe(400);
    expect((await pasted.postForm("/login", { homeserver: sim.url, mode: "token", accessToken: bogus })).status).toBe(400);
    // A pasted admin token works, and a pasted token must not show up either.
    const adminPasted = sim.tokenFor("admin");
    collectSecrets();
    expect((await pasted.postForm("/login", { homeserver: sim.url, mode: "token", accessToken: adminPasted })).status).toBe(302);
    await pasted.get("/");

    csrf = await c.csrfToken("/");
    expect((await c.postForm("/logout", { csrf })).status).toBe(302);

    // Stored rows: sessions (encrypted token only), the audit log, collector and self-check runs, nudges, token records.
    const rows: string[] = [];
    for (const table of ["admin_sessions", "audit_events", "collector_runs", "posture_nudges", "self_check_runs", "registration_token_records"]) {
      const res = await steward.database.db.execute(sql.raw(`select * from ${table}`));
      for (const row of (res as unknown as { rows: unknown[] }).rows) rows.push(`${table}: ${JSON.stringify(row)}`);
    }

    // The scan itself: every secret against every recorded text.
    expect(secrets.size).toBeGreaterThan(4);
    expect(secrets.has(sim.adminToken)).toBe(true);
    const haystacks = [...seen, ...steward.logs, ...rows];
    expect(seen.length).toBeGreaterThan(200);
    expect(steward.logs.length).toBeGreaterThan(200);
    // The recording really holds what was said (so an empty leak list means something): bodies, logs, rows.
    expect(seen.some((h) => h.includes("Leak probe"))).toBe(true);
    expect(steward.logs.some((l) => l.includes("/tokens/leak-probe"))).toBe(true);
    expect(rows.some((r) => r.includes("auth.sign_in")) && rows.some((r) => r.startsWith("admin_sessions:"))).toBe(true);
    const leaks: string[] = [];
    for (const secret of secrets) {
      for (const h of haystacks) {
        if (h.includes(secret)) leaks.push(`${secret.slice(0, 8)}… in: ${h.slice(0, 160).replace(/\n/g, " | ")}`);
      }
    }
    expect(leaks).toEqual([]);
  }, 240_000);
});

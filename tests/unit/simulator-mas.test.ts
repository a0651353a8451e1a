// The MAS simulator and the Synapse simulator in delegated mode, against mas-api.md and synapse-versions.md.
import { createHash, randomBytes } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { startSimulator, type Simulator } from "../simulator/index";
import { enc, simFetch } from "../simulator/client";
import { startMasSimulator, type MasSimulator } from "../simulator/mas/index";
import { hiddenFields, MiniBrowser } from "../helpers/mas-browser";

const NOW = Date.UTC(2026, 10, 27, 12, 0, 0);
const open: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  while (open.length) await open.pop()!.close();
});

async function world(synapseVersion = "1.157.1", users = 12): Promise<{ sim: Simulator; mas: MasSimulator }> {
  const sim = await startSimulator({ users, seed: 3, now: () => NOW, mas: true, synapseVersion });
  open.push(sim);
  const mas = await startMasSimulator({ synapse: sim });
  open.push(mas);
  return { sim, mas };
}

async function masFetch(mas: MasSimulator, path: string, init: { method?: string; token?: string | null; body?: unknown; form?: Record<string, string>; headers?: Record<string, string> } = {}) {
  const headers: Record<string, string> = { ...(init.headers ?? {}) };
  const token = init.token === undefined ? mas.adminToken : init.token;
  if (token !== null) headers.Authorization = `Bearer ${token}`;
  let body: string | undefined;
  if (init.form) {
    body = new URLSearchParams(init.form).toString();
    headers["Content-Type"] = "application/x-www-form-urlencoded";
  } else if (init.body !== undefined) {
    body = JSON.stringify(init.body);
    headers["Content-Type"] = "application/json";
  }
  const res = await fetch(`${mas.url}${path}`, { method: init.method ?? (body === undefined ? "GET" : "POST"), headers, body, redirect: "manual" });
  const text = await res.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, json, text, headers: res.headers };
}

const REDIRECT = "http://localhost/auth/callback";
async function nativeClient(mas: MasSimulator): Promise<string> {
  const r = await masFetch(mas, "/oauth2/registration", {
    token: null,
    body: {
      application_type: "native",
      client_name: "Steward",
      client_uri: "https://steward.example.org/",
      redirect_uris: [REDIRECT],
      token_endpoint_auth_method: "none",
      grant_types: ["authorization_code", "refresh_token"],
      response_types: ["code"],
    },
  });
  expect(r.status).toBe(201);
  return r.json.client_id;
}

const SCOPE = "urn:matrix:client:api:* urn:mas:admin urn:synapse:admin:*";

/** Authorize → login → consent → callback; returns the callback URL's parameters (or the page when refused). */
async function signIn(mas: MasSimulator, clientId: string, username: string, password: string, extra: Record<string, string> = {}) {
  const verifier = randomBytes(32).toString("base64url");
  const challenge = createHash("sha256").update(verifier).digest("base64url");
  const state = randomBytes(8).toString("hex");
  const q = new URLSearchParams({ response_type: "code", client_id: clientId, redirect_uri: REDIRECT, scope: SCOPE, state, code_challenge: challenge, code_challenge_method: "S256", ...extra });
  const b = new MiniBrowser();
  const first = await b.follow(`${mas.url}/authorize?${q}`, mas.url);
  expect(first.url).toContain("/login");
  const form = hiddenFields(await first.res.text());
  const afterLogin = await b.post(`${mas.url}/login`, { ...form, username, password });
  expect(afterLogin.status).toBe(303);
  const consent = await b.follow(new URL(afterLogin.headers.get("location")!, mas.url).toString(), mas.url);
  const html = await consent.res.text();
  if (!html.includes('name="action" value="consent"')) return { refused: html, verifier, state, code: null as string | null };
  const done = await b.post(consent.url, { ...hiddenFields(html), action: "consent" });
  const cb = new URL(done.headers.get("location")!);
  expect(cb.origin + cb.pathname).toBe(REDIRECT);
  return { refused: null, verifier, state: cb.searchParams.get("state"), sentState: state, code: cb.searchParams.get("code") };
}

async function exchange(mas: MasSimulator, clientId: string, code: string, verifier: string, redirectUri = REDIRECT) {
  return masFetch(mas, "/oauth2/token", { token: null, form: { grant_type: "authorization_code", code, redirect_uri: redirectUri, code_verifier: verifier, client_id: clientId } });
}

describe("MAS simulator: discovery and the delegating Synapse", () => {
  it("serves discovery, and Synapse 1.157 serves it as auth_metadata (v1 and unstable)", async () => {
    const { sim, mas } = await world("1.157.1");
    const d = await masFetch(mas, "/.well-known/openid-configuration", { token: null });
    expect(d.json.issuer).toBe(`${mas.url}/`);
    expect(d.json.registration_endpoint).toBe(`${mas.url}/oauth2/registration`);
    expect(d.json.end_session_endpoint).toBeUndefined();
    const v1 = await simFetch(sim, "/_matrix/client/v1/auth_metadata", { token: null });
    expect(v1.json).toEqual(d.json);
    expect((await simFetch(sim, "/_matrix/client/unstable/org.matrix.msc2965/auth_issuer", { token: null })).json).toEqual({ issuer: d.json.issuer });
    const wk = await simFetch(sim, "/.well-known/matrix/client", { token: null });
    expect(wk.json["org.matrix.msc2965.authentication"]).toEqual({ issuer: d.json.issuer, account: `${mas.url}/account/` });
  });

  it("Synapse 1.132 has only the unstable auth_metadata; a classic Synapse has neither", async () => {
    const { sim } = await world("1.132.0");
    expect((await simFetch(sim, "/_matrix/client/v1/auth_metadata", { token: null })).status).toBe(404);
    expect((await simFetch(sim, "/_matrix/client/unstable/org.matrix.msc2965/auth_metadata", { token: null })).status).toBe(200);
    const classic = await startSimulator({ users: 1, synapseVersion: "1.157.1" });
    open.push(classic);
    expect((await simFetch(classic, "/_matrix/client/v1/auth_metadata", { token: null })).json.errcode).toBe("M_UNRECOGNIZED");
  });
});

describe("MAS simulator: OAuth 2.0 authorization code + PKCE", () => {
  it("registers clients under the default policy: web needs https on the client_uri host; native may use localhost", async () => {
    const { mas } = await world();
    const web = await masFetch(mas, "/oauth2/registration", { token: null, body: { client_uri: "http://localhost:3000/", redirect_uris: ["http://localhost:3000/auth/callback"], token_endpoint_auth_method: "none" } });
    expect(web.status).toBe(400);
    expect(web.json.error).toBe("invalid_redirect_uri");
    const other = await masFetch(mas, "/oauth2/registration", { token: null, body: { client_uri: "https://a.example.org/", redirect_uris: ["https://b.example.com/cb"], token_endpoint_auth_method: "none" } });
    expect(other.json.error).toBe("invalid_redirect_uri");
    const a = await nativeClient(mas);
    expect(await nativeClient(mas)).toBe(a); // public clients with the same metadata are deduplicated
  });

  it("signs an admin in: the token works on both admin APIs; refresh rotates; revoke ends the session", async () => {
    const { sim, mas } = await world();
    const clientId = await nativeClient(mas);
    const flow = await signIn(mas, clientId, "admin", "admin");
    expect(flow.state).toBe(flow.sentState);
    const t = await exchange(mas, clientId, flow.code!, flow.verifier);
    expect(t.status).toBe(200);
    expect(t.json).toMatchObject({ token_type: "Bearer", expires_in: 300, scope: SCOPE });
    expect(t.json.access_token).toMatch(/^mat_[A-Za-z0-9]{30}_[A-Za-z0-9]{6}$/);
    expect(t.headers.get("cache-control")).toBe("no-store");
    expect((await simFetch(sim, "/_synapse/admin/v2/users", { token: t.json.access_token, query: { guests: false } })).status).toBe(200);
    expect((await masFetch(mas, "/api/admin/v1/users", { token: t.json.access_token })).status).toBe(200);

    // Replaying the code is refused; so is a wrong redirect_uri or verifier on a fresh code.
    expect((await exchange(mas, clientId, flow.code!, flow.verifier)).json.error).toBe("invalid_grant");
    const flow2 = await signIn(mas, clientId, "admin", "admin");
    expect((await exchange(mas, clientId, flow2.code!, flow2.verifier, "http://localhost/other")).json.error).toBe("invalid_grant");
    const flow3 = await signIn(mas, clientId, "admin", "admin");
    expect((await exchange(mas, clientId, flow3.code!, "wrong-verifier")).json.error).toBe("invalid_grant");

    const r1 = await masFetch(mas, "/oauth2/token", { token: null, form: { grant_type: "refresh_token", refresh_token: t.json.refresh_token, client_id: clientId } });
    expect(r1.status).toBe(200);
    expect(r1.json.refresh_token).not.toBe(t.json.refresh_token);
    expect((await masFetch(mas, "/api/admin/v1/users", { token: t.json.access_token })).status).toBe(401); // the old access token died
    const r2 = await masFetch(mas, "/oauth2/token", { token: null, form: { grant_type: "refresh_token", refresh_token: r1.json.refresh_token, client_id: clientId } });
    expect(r2.status).toBe(200);
    // The first refresh token was consumed and its successor used: replaying it is invalid_grant.
    expect((await masFetch(mas, "/oauth2/token", { token: null, form: { grant_type: "refresh_token", refresh_token: t.json.refresh_token, client_id: clientId } })).json.error).toBe("invalid_grant");
    // r1's successor (r2) was never used, as after a lost response: replaying r1 issues a new pair and kills r2's.
    const again = await masFetch(mas, "/oauth2/token", { token: null, form: { grant_type: "refresh_token", refresh_token: r1.json.refresh_token, client_id: clientId } });
    expect(again.status).toBe(200);
    expect((await masFetch(mas, "/oauth2/token", { token: null, form: { grant_type: "refresh_token", refresh_token: r2.json.refresh_token, client_id: clientId } })).json.error).toBe("invalid_grant");
    const r3 = again;

    expect((await masFetch(mas, "/oauth2/revoke", { token: null, form: { token: r3.json.access_token, client_id: clientId } })).status).toBe(200);
    expect((await masFetch(mas, "/oauth2/token", { token: null, form: { grant_type: "refresh_token", refresh_token: r3.json.refresh_token, client_id: clientId } })).json.error).toBe("invalid_grant");
    // Synapse may keep a cached introspection for 120 s; after that the token is dead there too.
    sim.clock.advance(121_000);
    expect((await simFetch(sim, "/_synapse/admin/v2/users", { token: r3.json.access_token, query: { guests: false } })).json.errcode).toBe("M_UNKNOWN_TOKEN");
  });

  it("refuses admin scopes to a user who may not request them (policy page, no code)", async () => {
    const { sim, mas } = await world();
    const user = [...sim.state.users.values()].find((u) => !u.admin && u.password && !u.locked && !u.deactivated)!;
    const clientId = await nativeClient(mas);
    const flow = await signIn(mas, clientId, user.localpart, user.password!);
    expect(flow.code).toBeNull();
    expect(flow.refused).toContain("denied by the policy");
    expect(flow.refused).toContain("urn:synapse:admin:*");
  });

  it("Synapse decides admin by scope only: a PAT without urn:synapse:admin:* gets 403; MSC3861's static admin token is gone in 1.157", async () => {
    const { sim, mas } = await world("1.157.1");
    const plain = mas.personalToken("admin", "urn:matrix:client:api:* urn:mas:admin");
    expect((await simFetch(sim, "/_synapse/admin/v2/users", { token: plain, query: { guests: false } })).json.errcode).toBe("M_FORBIDDEN");
    expect((await simFetch(sim, "/_synapse/admin/v2/users", { token: mas.adminToken, query: { guests: false } })).status).toBe(200);
    expect((await simFetch(sim, "/_synapse/admin/v2/users", { token: sim.adminToken, query: { guests: false } })).json.errcode).toBe("M_FORBIDDEN");
    const old = await world("1.132.0");
    expect((await simFetch(old.sim, "/_synapse/admin/v2/users", { token: old.sim.adminToken, query: { guests: false } })).status).toBe(200);
  });
});

describe("MAS simulator: admin API", () => {
  it("answers auth errors in the envelope: 400 without a header, 401 without urn:mas:admin", async () => {
    const { mas } = await world();
    expect((await masFetch(mas, "/api/admin/v1/users", { token: null })).status).toBe(400);
    const noAdmin = mas.personalToken("admin", "urn:matrix:client:api:*");
    const r = await masFetch(mas, "/api/admin/v1/users", { token: noAdmin });
    expect(r.status).toBe(401);
    expect(r.json.errors[0].title).toEqual(expect.any(String));
    expect((await masFetch(mas, "/api/admin/v1/users/not-a-ulid")).json.errors[0].title).toBe("Invalid ULID in path");
    expect((await masFetch(mas, "/api/admin/v1/version")).json).toEqual({ version: "v1.22.0" });
  });

  it("has /version only from v1.4.0 and /site-config only from v1.3.0 (older: the router's 404)", async () => {
    const { mas } = await world();
    mas.state.version = "1.3.0";
    expect((await masFetch(mas, "/api/admin/v1/version")).status).toBe(404);
    expect((await masFetch(mas, "/api/admin/v1/site-config")).status).toBe(200);
    mas.state.version = "0.20.0";
    expect((await masFetch(mas, "/api/admin/v1/site-config")).status).toBe(404);
    expect((await masFetch(mas, "/api/admin/v1/user-registration-tokens")).status).toBe(200);
  });

  it("pages users by cursor (first/after, last/before) with links that keep the filters", async () => {
    const { mas } = await world("1.157.1", 25);
    const all = [...mas.state.users.values()].filter((u) => u.deactivated_at === null && u.locked_at === null).map((u) => u.id).sort();
    const seen: string[] = [];
    let path: string | undefined = "/api/admin/v1/users?filter[status]=active&page[first]=4";
    while (path) {
      const r = await masFetch(mas, path);
      expect(r.status).toBe(200);
      expect(r.json.meta.count).toBe(all.length);
      for (const d of r.json.data) {
        expect(d.type).toBe("user");
        expect(d.meta.page.cursor).toBe(d.id);
        expect(d.links.self).toBe(`/api/admin/v1/users/${d.id}`);
        seen.push(d.id);
      }
      if (r.json.links.next) expect(r.json.links.next).toContain("filter[status]=active");
      path = r.json.links.next;
    }
    expect(seen).toEqual(all);
    const last = await masFetch(mas, "/api/admin/v1/users?filter[status]=active&page[last]=3");
    expect(last.json.data.map((d: { id: string }) => d.id)).toEqual(all.slice(-3));
    expect((await masFetch(mas, "/api/admin/v1/users?page[first]=1&page[last]=1")).status).toBe(400);
    expect((await masFetch(mas, "/api/admin/v1/users?page[first]=0")).status).toBe(400);
    expect((await masFetch(mas, "/api/admin/v1/users?count=only")).json).toEqual({ meta: { count: mas.state.users.size }, links: { self: "/api/admin/v1/users?count=only" } });
  });

  it("registration tokens: create, edit, revoke/unrevoke with MAS's errors; usage_limit 0 is never valid", async () => {
    const { mas } = await world();
    const c = await masFetch(mas, "/api/admin/v1/user-registration-tokens", { body: { token: "for-alice", usage_limit: 1, expires_at: null } });
    expect(c.status).toBe(201);
    expect(c.json.data.type).toBe("user-registration_token");
    expect(c.json.data.attributes).toMatchObject({ token: "for-alice", valid: true, usage_limit: 1, times_used: 0, revoked_at: null });
    const id = c.json.data.id;
    expect((await masFetch(mas, "/api/admin/v1/user-registration-tokens", { body: { token: "for-alice" } })).status).toBe(409);
    const gen = await masFetch(mas, "/api/admin/v1/user-registration-tokens", { body: {} });
    expect(gen.json.data.attributes.token).toMatch(/^[A-Za-z0-9]{12}$/);
    expect(gen.json.data.attributes.usage_limit).toBeNull();
    const zero = await masFetch(mas, "/api/admin/v1/user-registration-tokens", { body: { usage_limit: 0 } });
    expect(zero.json.data.attributes.valid).toBe(false);
    const put = await masFetch(mas, `/api/admin/v1/user-registration-tokens/${id}`, { method: "PUT", body: { usage_limit: 3 } });
    expect(put.json.data.attributes.usage_limit).toBe(3);
    expect((await masFetch(mas, `/api/admin/v1/user-registration-tokens/${id}/revoke`, { method: "POST" })).json.data.attributes.valid).toBe(false);
    expect((await masFetch(mas, `/api/admin/v1/user-registration-tokens/${id}/revoke`, { method: "POST" })).status).toBe(400);
    expect((await masFetch(mas, `/api/admin/v1/user-registration-tokens/${id}/unrevoke`, { method: "POST" })).json.data.attributes.valid).toBe(true);
    expect((await masFetch(mas, `/api/admin/v1/user-registration-tokens/${id}/unrevoke`, { method: "POST" })).status).toBe(400);
    expect((await masFetch(mas, `/api/admin/v1/user-registration-tokens/${id}`, { method: "DELETE" })).status).toBe(405);
    const valid = await masFetch(mas, "/api/admin/v1/user-registration-tokens?filter[valid]=false");
    expect(valid.json.data.map((d: any) => d.attributes.token)).toContain(zero.json.data.attributes.token);
  });

  it("an invitee registers with a pasted token: the use is counted at completion and Synapse gets the user", async () => {
    const { sim, mas } = await world();
    const c = await masFetch(mas, "/api/admin/v1/user-registration-tokens", { body: { token: "bring-a-friend", usage_limit: 1 } });
    const b = new MiniBrowser();
    const form = await b.follow(`${mas.url}/register?username=newbie`, mas.url);
    expect(await form.res.text()).toContain('value="newbie"');
    const post = await b.post(`${mas.url}/register/password`, { username: "newbie", password: "correct horse", password_confirm: "correct horse" });
    const tokenPage = await b.follow(new URL(post.headers.get("location")!, mas.url).toString(), mas.url);
    expect(tokenPage.url).toMatch(/\/token$/);
    expect((await b.post(tokenPage.url, { token: "nope" })).status).toBe(400);
    const ok = await b.post(tokenPage.url, { token: " bring-a-friend " });
    const dn = await b.follow(new URL(ok.headers.get("location")!, mas.url).toString(), mas.url);
    expect(dn.url).toMatch(/display-name$/);
    expect(mas.state.registrationTokens.get(c.json.data.id)!.times_used).toBe(0); // not yet: counted at completion
    const fin = await b.post(dn.url, { display_name: "New Bie", action: "set" });
    const end = await b.follow(new URL(fin.headers.get("location")!, mas.url).toString(), mas.url);
    expect(end.url).toMatch(/\/account\/$/);
    const t = (await masFetch(mas, `/api/admin/v1/user-registration-tokens/${c.json.data.id}`)).json.data.attributes;
    expect(t).toMatchObject({ times_used: 1, valid: false });
    expect(sim.state.users.get("@newbie:sim.test")?.displayname).toBe("New Bie");
  });

  it("lock reaches Synapse's column only from 1.150; the user's tokens stop working either way", async () => {
    for (const [version, stored] of [["1.132.0", false], ["1.157.1", true]] as const) {
      const { sim, mas } = await world(version);
      const u = [...mas.state.users.values()].find((x) => !x.admin && x.locked_at === null && x.deactivated_at === null && x.password)!;
      const pat = mas.compatToken(u.username);
      expect((await simFetch(sim, "/_matrix/client/v3/account/whoami", { token: pat })).status).toBe(200);
      const r = await masFetch(mas, `/api/admin/v1/users/${u.id}/lock`, { method: "POST" });
      expect(r.json.data.attributes.locked_at).not.toBeNull();
      expect(sim.state.users.get(`@${u.username}:sim.test`)!.locked).toBe(stored);
      sim.clock.advance(121_000);
      expect((await simFetch(sim, "/_matrix/client/v3/account/whoami", { token: pat })).status).toBe(401);
      await masFetch(mas, `/api/admin/v1/users/${u.id}/unlock`, { method: "POST" });
      sim.clock.advance(121_000);
      expect((await simFetch(sim, "/_matrix/client/v3/account/whoami", { token: pat })).status).toBe(200);
    }
  });

  it("deactivate erases by default: the profile is null from 1.150, empty strings before; skip_erase keeps it", async () => {
    for (const [version, expected] of [["1.132.0", ""], ["1.157.1", null]] as const) {
      const { sim, mas } = await world(version);
      const [a, b] = [...mas.state.users.values()].filter((x) => !x.admin && x.deactivated_at === null);
      await masFetch(mas, `/api/admin/v1/users/${a.id}/deactivate`, { method: "POST" });
      const sa = sim.state.users.get(`@${a.username}:sim.test`)!;
      expect([sa.deactivated, sa.erased, sa.displayname]).toEqual([true, true, expected]);
      const sb = sim.state.users.get(`@${b.username}:sim.test`)!;
      const before = sb.displayname;
      await masFetch(mas, `/api/admin/v1/users/${b.id}/deactivate`, { body: { skip_erase: true } });
      expect([sb.deactivated, sb.erased, sb.displayname]).toEqual([true, false, before]);
    }
  });

  it("finishing a compat session removes its device from Synapse", async () => {
    const { sim, mas } = await world();
    const s = [...mas.state.compatSessions.values()].find((x) => x.finished_at === null && x.device_id)!;
    const user = mas.state.users.get(s.user_id)!;
    const listed = await masFetch(mas, `/api/admin/v1/compat-sessions?filter[user]=${user.id}&filter[status]=active`);
    expect(listed.json.data.map((d: any) => d.id)).toContain(s.id);
    expect((await masFetch(mas, `/api/admin/v1/compat-sessions/${s.id}/finish`, { method: "POST" })).status).toBe(200);
    expect(sim.state.devices.get(`@${user.username}:sim.test`)?.has(s.device_id!)).toBe(false);
    expect((await masFetch(mas, `/api/admin/v1/compat-sessions/${s.id}/finish`, { method: "POST" })).status).toBe(400);
  });
});

describe("Synapse simulator: 1.132 vs 1.157 behaviour (synapseVersion)", () => {
  it("list last_seen_ts comes from devices from 1.140; login-as for an unknown user is 404 from 1.149", async () => {
    for (const [version, fromDevices] of [["1.132.0", false], ["1.157.1", true]] as const) {
      const sim = await startSimulator({ users: 3, seed: 2, now: () => NOW, synapseVersion: version });
      open.push(sim);
      const u = [...sim.state.users.values()].find((x) => !x.admin && !x.deactivated && !x.is_guest && !x.locked)!;
      const dev = sim.state.devices.get(u.name)?.values().next().value ?? (await import("../simulator/index")).addDevice(sim.state, u.name, {});
      u.last_seen_ts = NOW - 86_400_000;
      dev.last_seen_ts = NOW - 1000;
      const list = await simFetch(sim, "/_synapse/admin/v2/users", { query: { name: u.localpart } });
      const row = list.json.users.find((x: any) => x.name === u.name);
      expect(row.last_seen_ts).toBe(fromDevices ? NOW - 1000 : NOW - 86_400_000);
      const single = await simFetch(sim, `/_synapse/admin/v2/users/${enc(u.name)}`);
      expect(single.json.last_seen_ts).toBe(NOW - 86_400_000); // the single GET reads user_ips only
      const ghost = await simFetch(sim, `/_synapse/admin/v1/users/${enc("@ghost:sim.test")}/login`, { body: {} });
      expect(ghost.status).toBe(fromDevices ? 404 : 200);
    }
  });

  it("under MAS the guests default is refused with the version's wording", async () => {
    const { sim, mas } = await world("1.157.1");
    const r = await simFetch(sim, "/_synapse/admin/v2/users", { token: mas.adminToken });
    expect([r.status, r.json.errcode, r.json.error]).toEqual([400, "M_INVALID_PARAM", "The guests parameter is not supported when delegating to MAS."]);
  });
});

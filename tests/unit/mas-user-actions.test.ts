// User actions under MAS (decision 024): the typed MAS calls send what MAS needs (skip_erase always said), the MAS
// backend offers only what MAS can do and says why, signs out only the user's own sessions, and the words say
// MAS's meaning (admin = may request admin access; deactivate erases unless told; Steward's own sign-in protected).
import { describe, expect, it } from "vitest";
import { masUsers } from "../../app/homeserver/mas/users";
import { masSessions, deviceOfScope, type MasSession, type MasSessionsApi } from "../../app/homeserver/mas/sessions";
import { MasAdminError } from "../../app/homeserver/mas/admin-http";
import { masUserActions } from "../../app/services/users/actions/mas.server";
import { actionLabel, asksPassword, consequence, refusal, summary, type ActionTarget } from "../../app/services/users/actions/rules";
import { sessionLabel } from "../../app/services/users/actions/mas-words";
import { describeAudit } from "../../app/services/audit/describe.server";
import type { AuditPart } from "../../app/services/audit/types";
import { backupSourceText, LOGIN_AS_UNAVAILABLE_NOTE } from "../../app/services/posture/scan-path";
import type { HomeserverClient } from "../../app/homeserver";

const ULID = "01JABCDEFGHJKMNPQRSTVWXYZ0";
type Call = { method: string; url: string; body: unknown };

/** A fetch that records each request and answers from `reply`. */
function fakeFetch(reply: (c: Call) => { status: number; body?: unknown }) {
  const calls: Call[] = [];
  const f = (async (input: URL | string, init?: RequestInit) => {
    const call = { method: init?.method ?? "GET", url: String(input), body: init?.body ? JSON.parse(String(init.body)) : undefined };
    calls.push(call);
    const r = reply(call);
    return new Response(r.body === undefined ? null : JSON.stringify(r.body), { status: r.status, headers: { "content-type": "application/json" } });
  }) as typeof fetch;
  return { f, calls };
}

const userBody = (over: Record<string, unknown> = {}) => ({
  data: { type: "user", id: ULID, attributes: { username: "bob", created_at: "2026-01-01T00:00:00Z", locked_at: null, deactivated_at: null, admin: false, legacy_guest: false, ...over } },
  links: { self: "/x" },
});

describe("MAS users client", () => {
  it("always says skip_erase on deactivate: true to keep, false to erase", async () => {
    const { f, calls } = fakeFetch(() => ({ status: 200, body: userBody({ deactivated_at: "2026-02-01T00:00:00Z" }) }));
    const api = masUsers({ baseUrl: "https://mas.example/", accessToken: "t", fetch: f });
    await api.deactivate(ULID, { skipErase: true });
    await api.deactivate(ULID, { skipErase: false });
    expect(calls.map((c) => [c.method, new URL(c.url).pathname, c.body])).toEqual([
      ["POST", `/api/admin/v1/users/${ULID}/deactivate`, { skip_erase: true }],
      ["POST", `/api/admin/v1/users/${ULID}/deactivate`, { skip_erase: false }],
    ]);
  });

  it("reads the admin flag as permission to request admin, and MAS's refusals as sentences", async () => {
    const { f } = fakeFetch((c) =>
      c.url.includes("set-password") ? { status: 403, body: { errors: [{ title: "Password auth is disabled" }] } } : { status: 200, body: userBody({ admin: true }) },
    );
    const api = masUsers({ baseUrl: "https://mas.example", accessToken: "t", fetch: f });
    expect((await api.byUsername("bob")).canRequestAdmin).toBe(true);
    const err = await api.setPassword(ULID, "pw").catch((e) => e);
    expect(err).toBeInstanceOf(MasAdminError);
    expect(err.kind).toBe("forbidden");
    expect(err.message).toContain('It said: "Password auth is disabled"');
  });

  it("set-password's 204 without a body is success", async () => {
    const { f } = fakeFetch(() => ({ status: 204 }));
    await expect(masUsers({ baseUrl: "https://mas.example", accessToken: "t", fetch: f }).setPassword(ULID, "pw")).resolves.toBeUndefined();
  });

  it("finds the Matrix device of an OAuth 2.0 session in its scope (stable and unstable)", () => {
    expect(deviceOfScope("urn:matrix:client:api:* urn:matrix:client:device:ABC")).toBe("ABC");
    expect(deviceOfScope("urn:matrix:org.matrix.msc2967.client:device:XYZ openid")).toBe("XYZ");
    expect(deviceOfScope("urn:mas:admin")).toBeNull();
    expect(masSessions({ baseUrl: "https://mas.example", accessToken: "t" })).toBeTruthy();
  });
});

function session(kind: MasSession["kind"], id: string, deviceId: string | null): MasSession {
  return { kind, id, createdAt: new Date(0), endedAt: null, lastActiveAt: null, lastActiveIp: null, userAgent: null, humanName: null, deviceId, clientId: null };
}

function fakeSessions(byUser: Record<string, MasSession[]>, ended: string[], failOn?: string): MasSessionsApi {
  return {
    async listActive(kind, userId) {
      return { sessions: (byUser[userId] ?? []).filter((s) => s.kind === kind && !ended.includes(s.id)), truncated: false };
    },
    async end(_kind, id) {
      if (id === failOn) throw new MasAdminError("server_error", "The authentication service had an internal error.", 500);
      if (ended.includes(id)) throw new MasAdminError("invalid", "already finished", 400);
      ended.push(id);
    },
    async client(id) {
      return { id, name: "Element", uri: null };
    },
  };
}

const fakeUsers = (ids: Record<string, string>) =>
  ({ byUsername: async (l: string) => ({ id: ids[l], username: l }) }) as unknown as ReturnType<typeof masUsers>;

describe("MAS backend", () => {
  const hs = {} as HomeserverClient;

  it("offers a password reset only when MAS has password sign-in, and says why not", () => {
    const off = masUserActions({ users: fakeUsers({}), sessions: fakeSessions({}, []), hs, passwordLogin: false });
    expect(off.supports("reset-password")).toBe(false);
    expect(off.unsupportedReason("reset-password")).toContain("password sign-in turned off");
    expect(off.supports("lock")).toBe(true);
    const unknown = masUserActions({ users: fakeUsers({}), sessions: fakeSessions({}, []), hs, passwordLogin: null });
    expect(unknown.supports("reset-password")).toBe(true);
  });

  it("signs out only the user's own sessions, by key or by Matrix device, and an ended one is no error", async () => {
    const ended: string[] = [];
    const sessions = fakeSessions({ U1: [session("compat", "C1", "DEV1"), session("oauth2", "O1", "DEV2")], U2: [session("compat", "C9", "DEV9")] }, ended);
    const b = masUserActions({ users: fakeUsers({ bob: "U1", eve: "U2" }), sessions, hs, passwordLogin: true });
    await b.signOutDevice("@bob:hs", "compat:C9"); // eve's session, on bob's page: nothing
    expect(ended).toEqual([]);
    await b.signOutDevice("@bob:hs", "DEV2");
    expect(ended).toEqual(["O1"]);
    await b.signOutDevice("@bob:hs", "oauth2:O1"); // already finished: done, no error
    expect(await b.signOutAll("@bob:hs")).toEqual(["compat:C1"]);
  });

  it("a password reset that signs out everywhere spares the sessions it is told to keep (Steward's own)", async () => {
    const ended: string[] = [];
    const sessions = fakeSessions({ U1: [session("compat", "C1", null), session("oauth2", "O1", null)] }, ended);
    const users = { byUsername: async () => ({ id: "U1" }), setPassword: async () => {} } as unknown as ReturnType<typeof masUsers>;
    const b = masUserActions({ users, sessions, hs, passwordLogin: true });
    await b.resetPassword("@bob:hs", "new-password", { signOutAll: true, keep: ["oauth2:O1"] });
    expect(ended).toEqual(["C1"]);
  });

  it("says how many sessions were already signed out when MAS fails midway", async () => {
    const sessions = fakeSessions({ U1: [session("compat", "C1", null), session("compat", "C2", null)] }, [], "C2");
    const b = masUserActions({ users: fakeUsers({ bob: "U1" }), sessions, hs, passwordLogin: true });
    await expect(b.signOutAll("@bob:hs")).rejects.toThrow("1 of 2 sessions were already signed out");
  });
});

const target = (over: Partial<ActionTarget> = {}): ActionTarget => ({
  userId: "@bob:hs",
  local: true,
  isGuest: false,
  deactivated: false,
  erased: false,
  locked: false,
  admin: false,
  service: "mas",
  ...over,
});

describe("words and rules under MAS", () => {
  it("names admin as permission to request admin access", () => {
    expect(actionLabel("make-admin", "mas")).toBe("Allow admin access");
    expect(actionLabel("make-admin")).toBe("Make server admin");
    expect(consequence("make-admin", "@bob:hs", { service: "mas" })).toContain("allowed to request admin access");
    expect(consequence("make-admin", "@bob:hs", { service: "mas" })).toContain("Synapse's own admin flag is not touched");
    expect(refusal("make-admin", target({ admin: true }), { userId: "@admin:hs", deviceId: null })).toBe("This account is already allowed to request admin access.");
    expect(summary("remove-admin", "@bob:hs", { service: "mas" })).toBe("Stop @bob:hs requesting admin access");
  });

  it("says MAS erases unless told, and reactivates without a password", () => {
    expect(consequence("deactivate", "@bob:hs", { service: "mas", erase: false })).toContain("the authentication service would erase them by default, and Steward tells it not to");
    expect(consequence("deactivate", "@bob:hs", { service: "mas", erase: true })).toContain("Erasing cannot be undone");
    expect(asksPassword("reactivate", "mas")).toBe(false);
    expect(asksPassword("reactivate", "synapse")).toBe(true);
    expect(asksPassword("reset-password", "mas")).toBe(true);
  });

  it("refuses signing out a Steward sign-in of the admin's own account", () => {
    const actor = { userId: "@bob:hs", deviceId: null, ownSessions: ["oauth2:O1"] };
    expect(refusal("sign-out-device", target(), actor, "oauth2:O1")).toContain("Steward sign-in of your own account");
    expect(refusal("sign-out-device", target(), actor, "compat:C1")).toBeNull();
    expect(refusal("sign-out-device", target({ userId: "@eve:hs" }), actor, "oauth2:O1")).toBeNull();
  });

  it("names a session by its app or device, never by its internal id", () => {
    expect(sessionLabel({ kind: "oauth2", deviceId: "DEV", name: null, client: "Element" })).toBe("“Element” signed in through the authentication service (device DEV)");
    expect(sessionLabel({ kind: "compat", deviceId: "DEV", name: "Phone", client: null })).toBe("“Phone”, a password sign-in (device DEV)");
  });

  const text = (parts: AuditPart[]) => parts.map((p) => (typeof p === "string" ? p : p.id)).join("");
  const line = (action: string, detail: Record<string, unknown>) => describeAudit({ id: 1, at: new Date(0), actor: "@admin:hs", action, target: "@bob:hs", outcome: "ok", detail });

  it.each([
    ["user.make-admin", {}, "@admin:hs allowed @bob:hs to request admin access"],
    ["user.remove-admin", {}, "@admin:hs stopped @bob:hs from requesting admin access"],
    ["user.lock", {}, "@admin:hs locked the account @bob:hs in the authentication service"],
    ["user.deactivate", { erase: false }, "@admin:hs deactivated @bob:hs (keeping messages and profile) in the authentication service"],
    ["user.reactivate", {}, "@admin:hs reactivated @bob:hs in the authentication service"],
    ["user.sign-out-device", { deviceId: "compat:C1", sessionLabel: "a password sign-in (device D)" }, "@admin:hs signed out a password sign-in (device D) of @bob:hs in the authentication service"],
  ])("audit: %s under MAS", (action, detail, sentence) => {
    const l = line(action, { formId: "f", backend: "mas", service: "mas", summary: "x", ...detail });
    expect(text(l.sentence)).toBe(sentence);
    expect(l.details.join(" ")).not.toMatch(/service|sessionLabel|compat:/);
  });

  it("the security report says which key-backup source it used", () => {
    expect(backupSourceText("database", [])).toContain("Synapse's database");
    expect(backupSourceText("account_data", [])).toBe("inferred from account data read through the admin API.");
    expect(backupSourceText("account_data", [LOGIN_AS_UNAVAILABLE_NOTE])).toContain("Matrix Authentication Service");
  });
});

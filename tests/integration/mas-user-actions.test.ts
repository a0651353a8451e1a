/**
 * Issue 16, item 6 through the real server: on a homeserver delegating to MAS, a user's lock, deactivation
 * (with and without erasing), reactivation, admin permission and sessions are acted on in MAS's admin API, the
 * pages say what MAS means, each action is audited with `service: mas`, and MAS's failures (401, 403, 404, 429,
 * 500, unreachable) are shown in words with nothing changed.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { and, desc, eq } from "drizzle-orm";
import { auditEvents } from "../../db/schema";
import { createHomeserverClient } from "../../app/homeserver/index";
import { TestClient } from "../helpers/http";
import { startSignedInMasWorld, type MasWorld } from "../helpers/mas";
import type { MasUser } from "../simulator/mas/index";

let w: MasWorld;
let c: TestClient;
beforeAll(async () => {
  ({ w, c } = await startSignedInMasWorld({ users: 60 }));
}, 120_000);
afterAll(async () => {
  await w?.close();
});

const mxid = (u: MasUser) => `@${u.username}:${w.sim.state.serverName}`;
const page = (u: MasUser) => `/users/${encodeURIComponent(mxid(u))}`;
const activeCompat = (u: MasUser) => [...w.mas.state.compatSessions.values()].filter((s) => s.user_id === u.id && s.finished_at === null);
const synapseUser = (u: MasUser) => w.sim.state.users.get(mxid(u))!;

const taken = new Set<string>();
/** An ordinary account (not admin, locked, deactivated or guest) with at least one session, used by one test only. */
function plainUser(): MasUser {
  const u = [...w.mas.state.users.values()].find(
    (x) => !taken.has(x.id) && x.username !== "admin" && !x.admin && x.locked_at === null && x.deactivated_at === null && !x.legacy_guest && activeCompat(x).length > 0 && w.sim.state.users.get(mxid(x))?.appservice_id === null,
  );
  if (!u) throw new Error("no plain user left in the seeded world");
  taken.add(u.id);
  return u;
}

/** Opens an action's confirmation page; returns its HTML and the fields the form posts back. */
async function confirmation(u: MasUser, action: string, extra = "") {
  const res = await c.get(`${page(u)}/act?action=${action}${extra}`);
  const html = await res.text();
  const csrf = /name="csrf" value="([^"]+)"/.exec(html)?.[1] ?? "";
  const formId = /name="formId" value="([^"]+)"/.exec(html)?.[1] ?? "";
  return { res, html, csrf, formId };
}

async function act(u: MasUser, action: string, fields: Record<string, string> = {}, extra = "") {
  const conf = await confirmation(u, action, extra);
  expect(conf.res.status).toBe(200);
  const device = /[?&]device=([^&]+)/.exec(extra)?.[1];
  const res = await c.postForm(`${page(u)}/act?action=${action}${extra}`, {
    csrf: conf.csrf,
    formId: conf.formId,
    action,
    ...(device ? { device: decodeURIComponent(device) } : {}),
    ...fields,
  });
  return { conf, res };
}

async function lastAudit(u: MasUser, action: string) {
  const [row] = await w.steward.database.db
    .select()
    .from(auditEvents)
    .where(and(eq(auditEvents.target, mxid(u)), eq(auditEvents.action, `user.${action}`)))
    .orderBy(desc(auditEvents.id))
    .limit(1);
  return row;
}

describe("user actions under MAS", { timeout: 120_000 }, () => {
  it("the user page shows MAS's account state, what admin means there, and MAS's sessions", async () => {
    const u = plainUser();
    const res = await c.get(page(u));
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain("Sessions (authentication service)");
    expect(html).toContain('data-testid="mas-sessions"');
    const s = activeCompat(u)[0];
    expect(html).toContain(`data-session="compat:${s.id}"`);
    if (s.device_id) expect(html).toContain(`device ${s.device_id}`);
    if (s.last_active_ip) expect(html).toContain(s.last_active_ip);
    expect(html).toContain("may not request admin access");
    expect(html).toMatch(/Allow admin access(<!-- -->)?…/); // React separates the label and "…" with a comment
    expect(html).toContain("Synapse&#x27;s own admin flag is not used");
    // The users list and the counts still come from Synapse, which under delegation refuses guests=true.
    const hs = createHomeserverClient({ baseUrl: w.sim.url, accessToken: w.mas.adminToken, maxRetries: 0 });
    expect((await hs.users.list({ limit: 5 })).users.length).toBeGreaterThan(0);
    const raw = await fetch(`${w.sim.url}/_synapse/admin/v2/users?guests=true`, { headers: { authorization: `Bearer ${w.mas.adminToken}` } });
    expect(raw.status).toBe(400);
  });

  it("locks and unlocks in MAS, audited with service mas", async () => {
    const u = plainUser();
    const { conf, res } = await act(u, "lock");
    expect(conf.html).toContain("the authentication service will refuse every one of their sessions");
    expect(res.status).toBe(302);
    expect(res.headers.get("location")).toBe(`${page(u)}?done=lock`);
    expect(w.mas.state.users.get(u.id)!.locked_at).not.toBeNull();
    expect(synapseUser(u).locked).toBe(true); // Synapse 1.157 stores MAS's lock
    const audit = await lastAudit(u, "lock");
    expect(audit.outcome).toBe("ok");
    expect(audit.detail).toMatchObject({ service: "mas", backend: "mas" });
    const shown = await (await c.get(`${page(u)}?done=lock`)).text();
    expect(shown).toContain("The account is locked.");
    expect(shown).toMatch(/Unlock the account(<!-- -->)?…/);

    const un = await act(u, "unlock");
    expect(un.res.status).toBe(302);
    expect(w.mas.state.users.get(u.id)!.locked_at).toBeNull();
    expect((await lastAudit(u, "unlock")).outcome).toBe("ok");
  });

  it("deactivates without erasing (tells MAS not to erase), then reactivates without asking for a password", async () => {
    const u = plainUser();
    const conf = await confirmation(u, "deactivate");
    expect(conf.html).toContain('data-testid="mas-erase-default"');
    expect(conf.html).toContain("Steward tells it not to");
    const before = synapseUser(u).displayname;
    const { res } = await act(u, "deactivate");
    expect(res.status).toBe(302);
    expect(w.mas.state.users.get(u.id)!.deactivated_at).not.toBeNull();
    // MAS erases by default: the profile surviving shows that skip_erase was sent.
    expect(synapseUser(u).deactivated).toBe(true);
    expect(synapseUser(u).erased).toBe(false);
    expect(synapseUser(u).displayname).toBe(before);
    expect(activeCompat(u)).toHaveLength(0);
    expect((await lastAudit(u, "deactivate")).detail).toMatchObject({ service: "mas", erase: false });

    const re = await confirmation(u, "reactivate");
    expect(re.html).not.toContain('name="password"');
    expect(re.html).toContain("email addresses and sessions do not come back");
    const r = await act(u, "reactivate");
    expect(r.res.status).toBe(302);
    expect(w.mas.state.users.get(u.id)!.deactivated_at).toBeNull();
    expect(synapseUser(u).deactivated).toBe(false);
    expect((await lastAudit(u, "reactivate")).detail).toMatchObject({ service: "mas", summary: `Reactivate ${mxid(u)}` });
  });

  it("deactivates and erases when the admin ticks erase and types the user id", async () => {
    const u = plainUser();
    const refused = await act(u, "deactivate", { erase: "1", confirmUserId: "wrong" });
    expect(refused.res.status).toBe(400);
    expect(w.mas.state.users.get(u.id)!.deactivated_at).toBeNull();
    const { res } = await act(u, "deactivate", { erase: "1", confirmUserId: mxid(u) });
    expect(res.status).toBe(302);
    expect(synapseUser(u).erased).toBe(true);
    expect(synapseUser(u).displayname).toBeNull(); // 1.157 deletes the profile of an erased user
    expect((await lastAudit(u, "deactivate")).detail).toMatchObject({ service: "mas", erase: true });
  });

  it("allows and removes admin access in MAS, leaving Synapse's admin column alone", async () => {
    const u = plainUser();
    const { conf, res } = await act(u, "make-admin");
    expect(conf.html).toContain("Allow admin access");
    expect(conf.html).toContain("allowed to request admin access");
    expect(res.status).toBe(302);
    expect(w.mas.state.users.get(u.id)!.admin).toBe(true);
    expect(synapseUser(u).admin).toBe(false);
    const shown = await (await c.get(`${page(u)}?done=make-admin`)).text();
    expect(shown).toContain("The account may now request admin access.");
    expect(shown).toContain("may request admin access");
    const again = await confirmation(u, "make-admin");
    expect(again.html).toContain("already allowed to request admin access");
    const rm = await act(u, "remove-admin");
    expect(rm.res.status).toBe(302);
    expect(w.mas.state.users.get(u.id)!.admin).toBe(false);
    expect((await lastAudit(u, "remove-admin")).detail).toMatchObject({ service: "mas", summary: `Stop ${mxid(u)} requesting admin access` });
  });

  it("signs one MAS session out by finishing it, and never Steward's own", async () => {
    const u = plainUser();
    const s = activeCompat(u)[0];
    const key = `compat:${s.id}`;
    const { conf, res } = await act(u, "sign-out-device", {}, `&device=${encodeURIComponent(key)}`);
    expect(conf.html).toContain("will be finished in the authentication service");
    expect(res.status).toBe(302);
    expect(w.mas.state.compatSessions.get(s.id)!.finished_at).not.toBeNull();
    if (s.device_id) expect(w.sim.state.devices.get(mxid(u))?.has(s.device_id) ?? false).toBe(false);
    const audit = await lastAudit(u, "sign-out-device");
    expect(audit.detail).toMatchObject({ service: "mas", deviceId: key });
    expect(String(audit.detail!.sessionLabel)).toContain("password sign-in");
    // Gone now: the page refuses instead of pretending.
    expect((await confirmation(u, "sign-out-device", `&device=${encodeURIComponent(key)}`)).html).toContain("may already be signed out");

    // The admin's own page: Steward's OAuth 2.0 session has no link, and its confirmation refuses.
    const admin = [...w.mas.state.users.values()].find((x) => x.username === "admin")!;
    const own = [...w.mas.state.oauth2Sessions.values()].find((x) => x.user_id === admin.id && x.finished_at === null)!;
    const mine = await (await c.get(page(admin))).text();
    expect(mine).toContain(`data-session="oauth2:${own.id}"`);
    expect(mine).toContain("a Steward sign-in of yours");
    const refused = await confirmation(admin, "sign-out-device", `&device=${encodeURIComponent(`oauth2:${own.id}`)}`);
    expect(refused.html).toContain("That is a Steward sign-in of your own account");
    const forced = await c.postForm(`${page(admin)}/act?action=sign-out-device`, { csrf: refused.csrf, formId: "f".repeat(22), action: "sign-out-device", device: `oauth2:${own.id}` });
    expect(forced.status).toBe(409);
    expect(own.finished_at).toBeNull();
  });

  it("signs out stale MAS sessions: only those listed and still stale, and lists personal tokens without a link", async () => {
    const cutoff = Date.now() - 31 * 86_400_000;
    const u = [...w.mas.state.users.values()].find(
      (x) => !taken.has(x.id) && x.username !== "admin" && x.locked_at === null && x.deactivated_at === null && !x.legacy_guest && activeCompat(x).some((s) => s.last_active_at !== null && s.last_active_at < cutoff),
    );
    expect(u, "a seeded user with a session unseen for a month").toBeTruthy();
    taken.add(u!.id);
    const old = activeCompat(u!).find((s) => s.last_active_at !== null && s.last_active_at < cutoff)!;
    const fresh = activeCompat(u!).filter((s) => s.id !== old.id);
    const conf = await confirmation(u!, "sign-out-stale", "&days=30");
    expect(conf.html).toContain(`value="compat:${old.id}"`);
    expect(conf.html).toContain("will be finished in the authentication service");
    const res = await c.postForm(`${page(u!)}/act?action=sign-out-stale&days=30`, { csrf: conf.csrf, formId: conf.formId, action: "sign-out-stale", days: "30", stale: `compat:${old.id}` });
    expect(res.status).toBe(302);
    expect(w.mas.state.compatSessions.get(old.id)!.finished_at).not.toBeNull();
    for (const s of fresh) expect(w.mas.state.compatSessions.get(s.id)!.finished_at).toBeNull();
    expect((await lastAudit(u!, "sign-out-stale")).detail).toMatchObject({ service: "mas", deviceIds: [`compat:${old.id}`], days: 30 });

    // A personal access token acting as the user is listed, with no sign-out link.
    w.mas.personalToken(u!.username, "urn:matrix:client:api:*");
    const html = await (await c.get(page(u!))).text();
    expect(html).toContain("personal access token");
    expect(html).toContain("not from here");
  });

  it.each([
    ["status429", "limiting requests"],
    ["status500", "had an internal error"],
    ["html404", "does not know it"],
    ["drop", "could not be reached"],
  ] as const)("MAS answering %s to a lock is shown in words, and nothing changes", async (kind, words) => {
    const u = plainUser();
    const conf = await confirmation(u, "lock");
    w.mas.injectFault({ kind, path: `/api/admin/v1/users/${u.id}/lock`, method: "POST", times: 1 });
    const res = await c.postForm(`${page(u)}/act?action=lock`, { csrf: conf.csrf, formId: conf.formId, action: "lock" });
    expect(res.status).toBe(502);
    const html = await res.text();
    expect(html).toContain("Nothing was changed:");
    expect(html).toContain(words);
    expect(w.mas.state.users.get(u.id)!.locked_at).toBeNull();
    const audit = await lastAudit(u, "lock");
    expect(audit.outcome).toBe("error");
    expect(String(audit.detail!.error)).toContain(words);
  });

  it("MAS refusing a password (403: password sign-in off) is shown in words", async () => {
    const u = plainUser();
    const conf = await confirmation(u, "reset-password");
    expect(conf.html).toContain("must meet the service");
    w.mas.state.siteConfig.password_login_enabled = false;
    try {
      const res = await c.postForm(`${page(u)}/act?action=reset-password`, { csrf: conf.csrf, formId: conf.formId, action: "reset-password", password: "a-long-new-password", password2: "a-long-new-password" });
      expect(res.status).toBe(502);
      expect(await res.text()).toContain("Password auth is disabled");
      expect((await lastAudit(u, "reset-password")).outcome).toBe("error");
    } finally {
      w.mas.state.siteConfig.password_login_enabled = true;
    }
  });

  it("an account MAS does not know (404) is said in words on its page", async () => {
    const u = plainUser();
    w.mas.state.users.delete(u.id);
    const html = await (await c.get(page(u))).text();
    expect(html).toContain(`The authentication service has no account ${mxid(u)}`);
    const conf = await c.get(`${page(u)}/act?action=lock`);
    expect(conf.status).toBe(404);
    expect(await conf.text()).toContain("The authentication service has no account");
  });

  // Last: it takes MAS's admin scope away from Steward's session.
  it("MAS refusing Steward's token (401) is shown in words, and nothing changes", async () => {
    const u = plainUser();
    // MAS's admin API answers 401 "Missing urn:mas:admin scope"; Synapse still accepts the token (its scope stays).
    for (const s of w.mas.state.oauth2Sessions.values()) s.scope = s.scope.split(" ").filter((x) => x !== "urn:mas:admin").join(" ");
    const res = await c.get(`${page(u)}/act?action=lock`);
    expect(res.status).toBe(502);
    expect(await res.text()).toContain("did not accept Steward");
    expect(w.mas.state.users.get(u.id)!.locked_at).toBeNull();
  });

  it("refuses bulk jobs (they act through Synapse, behind MAS's back) and says so where their links were", async () => {
    const sentence = "Bulk jobs are not available on this server";
    const before = [...w.mas.state.users.values()].filter((u) => u.deactivated_at !== null).length;
    for (const path of ["/users/deactivate?filter=all&days=30", "/security/sign-out?kind=stale&days=90"]) {
      const res = await c.get(path);
      expect(res.status, path).toBe(409);
      expect((await res.text()).replaceAll("<!-- -->", ""), path).toContain(sentence);
      const csrf = await c.csrfToken("/security");
      const post = await c.postForm(path, { csrf, formId: "bulk-under-mas-0123456789", expected: "1" });
      expect(post.status, `${path} POST`).toBe(409);
    }
    const report = (await (await c.get("/security")).text()).replaceAll("<!-- -->", "");
    expect(report).toContain(sentence);
    expect(report).not.toContain('data-testid="bulk-stale"');
    // Nothing was started or changed.
    expect([...w.mas.state.users.values()].filter((u) => u.deactivated_at !== null).length).toBe(before);
    const jobs = (await (await c.get("/bulk")).text()).replaceAll("<!-- -->", "");
    expect(jobs).toContain("No bulk job has been started yet.");
  });
});

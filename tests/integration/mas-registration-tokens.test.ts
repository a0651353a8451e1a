/**
 * Issue 16, item 4: the typed client of MAS's registration tokens (app/homeserver/mas/registration-tokens.ts)
 * against the MAS simulator — cursor pages, issue (text or generated, usage limit, expiry), edit, revoke and
 * unrevoke with MAS's semantics, and every failure (401/403/429/500, garbage, down) as a sentence without a token.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSimulator, type Simulator } from "../simulator/index";
import { startMasSimulator, type MasSimulator } from "../simulator/mas/index";
import { masRegistrationTokens } from "../../app/homeserver/mas/registration-tokens";
import { isMasAdminError, MasAdminError } from "../../app/homeserver/mas/admin-http";
import { freePort } from "../helpers/mas";

let sim: Simulator;
let mas: MasSimulator;
beforeAll(async () => {
  sim = await startSimulator({ users: 4, seed: 5, mas: true, synapseVersion: "1.157.1" });
  mas = await startMasSimulator({ synapse: sim, seedTokens: false });
});
afterAll(async () => {
  await mas?.close();
  await sim?.close();
});

const api = (token = mas.adminToken) => masRegistrationTokens({ baseUrl: mas.issuer, accessToken: token, timeoutMs: 5_000 });

async function failure(p: Promise<unknown>): Promise<MasAdminError> {
  const e = await p.then(() => null, (x: unknown) => x);
  expect(isMasAdminError(e)).toBe(true);
  return e as MasAdminError;
}

describe("MAS registration tokens client", { timeout: 60_000 }, () => {
  it("issues with given or generated text, limits and expiry; usage_limit 0 is never valid", async () => {
    const expires = new Date(sim.clock.now() + 7 * 86_400_000);
    const a = await api().create({ token: "friends-2026", usageLimit: 3, expiresAt: expires });
    expect(a).toMatchObject({ token: "friends-2026", usageLimit: 3, timesUsed: 0, valid: true, revokedAt: null });
    expect(a.expiresAt?.getTime()).toBe(expires.getTime());
    expect(a.id).toMatch(/^[0-9A-Z]{26}$/);
    const generated = await api().create({});
    expect(generated.token).toMatch(/^[A-Za-z0-9]{12}$/);
    expect(generated).toMatchObject({ usageLimit: null, expiresAt: null, valid: true });
    const never = await api().create({ usageLimit: 0 });
    expect(never.valid).toBe(false);
    const dup = await failure(api().create({ token: "friends-2026" }));
    expect(dup.kind).toBe("conflict");
    expect(dup.message).toContain("A registration token with the same token already exists");
  });

  it("edits, revokes and unrevokes, with MAS's refusals in words", async () => {
    const t = await api().create({ usageLimit: 1 });
    const edited = await api().update(t.id, { usageLimit: 5 });
    expect(edited).toMatchObject({ usageLimit: 5, expiresAt: null });
    // Absent fields stay; null removes the limit.
    const unlimited = await api().update(t.id, { usageLimit: null });
    expect(unlimited.usageLimit).toBeNull();
    const revoked = await api().revoke(t.id);
    expect(revoked.revokedAt).toBeInstanceOf(Date);
    expect(revoked.valid).toBe(false);
    const again = await failure(api().revoke(t.id));
    expect(again.kind).toBe("invalid");
    expect(again.message).toContain("already revoked");
    const back = await api().unrevoke(t.id);
    expect(back).toMatchObject({ revokedAt: null, valid: true });
    expect((await api().get(t.id)).token).toBe(t.token);
    const missing = await failure(api().get("01ARZ3NDEKTSV4RRFFQ69G5FAV"));
    expect(missing.kind).toBe("not_found");
  });

  it("pages by cursor, oldest first, and filters", async () => {
    for (let i = 0; i < 5; i++) await api().create({ token: `page-${i}` });
    const seen: string[] = [];
    let after: string | undefined;
    for (let guard = 0; guard < 20; guard++) {
      const p = await api().list({ first: 2, after });
      seen.push(...p.tokens.map((t) => t.token));
      expect(p.count).toBeGreaterThanOrEqual(5);
      if (!p.hasNext) break;
      after = p.tokens[p.tokens.length - 1].id;
    }
    const all = await api().listAll();
    expect(seen).toEqual(all.map((t) => t.token));
    expect(all.map((t) => t.id)).toEqual([...all.map((t) => t.id)].sort());
    expect(seen.filter((s) => s.startsWith("page-"))).toEqual(["page-0", "page-1", "page-2", "page-3", "page-4"]);
    const invalid = await api().listAll({ valid: false });
    expect(invalid.every((t) => !t.valid)).toBe(true);
    expect(invalid.length).toBeGreaterThan(0);
  });

  it("says what went wrong on 401, 403, 429, 500, garbage and when MAS is down, never with the token", async () => {
    const bad = await failure(api("mat_notatoken").list());
    expect(bad.kind).toBe("unauthorized");
    const noAdmin = mas.personalToken("admin", "urn:matrix:client:api:*");
    const scopeless = await failure(api(noAdmin).list());
    expect(scopeless.kind).toBe("unauthorized");
    expect(scopeless.message).not.toContain(noAdmin);

    mas.injectFault({ kind: "status429", path: "/api/admin/v1/user-registration-tokens", times: 1 });
    const limited = await failure(api().list());
    expect(limited.kind).toBe("rate_limited");
    expect(limited.message).toMatch(/try again in 1 second(?!s)/);

    mas.injectFault({ kind: "status500", path: "/api/admin/v1/user-registration-tokens", method: "POST", times: 1 });
    const broken = await failure(api().create({ token: "lost-on-500" }));
    expect(broken.kind).toBe("server_error");
    // Not retried: the token was not issued behind the admin's back.
    expect((await api().listAll()).some((t) => t.token === "lost-on-500")).toBe(false);

    mas.injectFault({ kind: "garbage", path: "/api/admin/v1/user-registration-tokens", times: 1 });
    expect((await failure(api().list())).kind).toBe("unexpected");

    const port = await freePort();
    const down = await failure(masRegistrationTokens({ baseUrl: `http://127.0.0.1:${port}/`, accessToken: mas.adminToken }).list());
    expect(down.kind).toBe("unreachable");
    expect(down.message).toContain("could not be reached");
    for (const e of [bad, scopeless, limited, broken, down]) expect(e.message).not.toContain(mas.adminToken);
  });
});

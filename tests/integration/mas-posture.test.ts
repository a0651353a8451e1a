/**
 * Issue 16, item 7: the posture scan on a homeserver delegating to MAS completes with an admin-scoped MAS token
 * (keys/query, devices and account data work; login-as does not exist there), and the report says which key-backup
 * source it used — account data, not the login-as that was asked for.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eq } from "drizzle-orm";
import { createHomeserverClient } from "../../app/homeserver/index";
import { POSTURE_DEFAULTS } from "../../app/config.server";
import { runPostureScan } from "../../app/services/posture/scan.server";
import { LOGIN_AS_UNAVAILABLE_NOTE } from "../../app/services/posture/scan-path";
import { postureScans, postureUsers } from "../../db/schema";
import { TestClient } from "../helpers/http";
import { masSignIn, startMasWorld, type MasWorld } from "../helpers/mas";

let w: MasWorld;
beforeAll(async () => {
  w = await startMasWorld({ users: 30 });
}, 120_000);
afterAll(async () => {
  await w?.close();
});

describe("posture scan under MAS", { timeout: 120_000 }, () => {
  it("completes with a personal access token carrying both admin scopes, and says login-as was not there", async () => {
    const db = w.steward.database.db;
    const hs = createHomeserverClient({ baseUrl: w.sim.url, accessToken: w.mas.adminToken, maxRetries: 0 });
    const r = await runPostureScan({ db, hs, now: () => new Date(), settings: { ...POSTURE_DEFAULTS, backupViaLoginAs: true } });
    expect(r.status).toBe("complete");
    expect(r.path).toBe("api");
    expect(r.backupSource).toBe("account_data");
    const [scan] = await db.select().from(postureScans).where(eq(postureScans.id, r.scanId));
    expect(scan.backupSource).toBe("account_data");
    expect(scan.notes).toContain(LOGIN_AS_UNAVAILABLE_NOTE);
    const rows = await db.select().from(postureUsers).where(eq(postureUsers.scanId, r.scanId));
    const synapseUsers = [...w.sim.state.users.values()].filter((u) => !u.is_guest);
    expect(rows).toHaveLength(synapseUsers.length);
    // Keys and devices were read under delegation: some users are cross-signed, and no live call failed.
    expect(rows.some((x) => x.crossSigning === "ok")).toBe(true);
    for (const row of rows) expect(JSON.stringify(row.notes ?? {})).not.toMatch(/failed|refused|did not answer/);

    const c = new TestClient(w.steward.url);
    expect((await masSignIn(c, w, "admin", "admin")).res.status).toBe(302);
    const html = await (await c.get("/security")).text();
    expect(html).toContain("inferred from account data read through the admin API.");
    expect(html).toContain("a homeserver that delegates accounts to the Matrix Authentication Service has none");
    expect(html).not.toContain("exact, read as each user through login-as");
  });
});

/**
 * Issue 16, item 3: background collection on a homeserver that delegates to MAS. A personal access token with both
 * admin scopes works as HOMESERVER_ADMIN_TOKEN (`npm run collect`), and without one the last active admin session
 * lends its token, refreshed through MAS first (its access token lives 5 minutes); a session MAS refuses to
 * refresh has ended and collectors wait with a reason.
 */
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { eq } from "drizzle-orm";
import { afterEach, describe, expect, it } from "vitest";
import { adminSessions, masSessionGrants } from "../../db/schema";
import { collectorToken } from "../../app/services/collectors/token.server";
import { createHomeserverClient } from "../../app/homeserver/index";
import { usingPostgres } from "../helpers/db";
import { TestClient } from "../helpers/http";
import { masSignIn, startMasWorld, type MasWorld } from "../helpers/mas";

let w: MasWorld | null = null;
afterEach(async () => {
  await w?.close();
  w = null;
});

const tsx = path.resolve("node_modules/.bin/tsx");
// Asynchronous on purpose: both simulators live in this process and must keep answering while the CLI runs.
const runCollect = (args: string[], env: Record<string, string>) =>
  new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const child = spawn(tsx, ["scripts/collect.ts", ...args], { env: { ...process.env, NODE_ENV: "test", LOG_LEVEL: "error", ...env } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), 200_000);
    child.on("error", reject);
    child.on("close", (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });

describe("background collection under MAS", { timeout: 240_000 }, () => {
  it("npm run collect works with a personal access token as HOMESERVER_ADMIN_TOKEN", async () => {
    w = await startMasWorld();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "steward-mas-collect-"));
    try {
      const env: Record<string, string> = { HOMESERVER_URL: w.sim.url, HOMESERVER_ADMIN_TOKEN: w.mas.adminToken, STEWARD_DATA_DIR: dir, DATABASE_URL: "" };
      if (usingPostgres) env.DATABASE_URL = w.steward.database.url!;
      const res = await runCollect(["--only", "user-counts"], env);
      expect(res.stderr).toBe("");
      expect(res.stdout).toMatch(/^user-counts: ok/m);
      expect(res.status).toBe(0);
      expect(res.stdout + res.stderr).not.toContain(w.mas.adminToken);
      // A token without the Synapse admin scope is refused by Synapse, and the CLI says so in words.
      const weak = w.mas.personalToken("admin", "urn:matrix:client:api:*");
      const refused = await runCollect(["--only", "user-counts"], { ...env, HOMESERVER_ADMIN_TOKEN: weak });
      expect(refused.status).toBe(1);
      expect(refused.stdout).toMatch(/^user-counts: FAILED, /m);
      expect(refused.stdout).not.toContain(weak);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("refreshes the last admin session through MAS before lending its token, and waits once MAS ends it", async () => {
    w = await startMasWorld();
    const c = new TestClient(w.steward.url);
    const trip = await masSignIn(c, w, "admin", "admin");
    expect(trip.res.status).toBe(302);
    const db = w.steward.database.db;
    const config = { ...w.steward.config, homeserverAdminToken: "" };
    const [before] = await db.select().from(masSessionGrants);
    // The access token is about to expire: collection must refresh it, not hand out a dying token.
    await db.update(masSessionGrants).set({ accessExpiresAt: new Date(Date.now() + 10_000) }).where(eq(masSessionGrants.idHash, before.idHash));
    const first = await collectorToken(db, config);
    expect(first.ok).toBe(true);
    if (!first.ok) return;
    expect(first.source).toBe("session");
    expect(first.userId).toBe("@admin:sim.test");
    const [after] = await db.select().from(masSessionGrants);
    expect(after.accessExpiresAt.getTime()).toBeGreaterThan(Date.now() + 60_000);
    expect(after.refreshTokenEnc).not.toBe(before.refreshTokenEnc);
    // The refreshed token works on Synapse's admin API (Synapse asks MAS about it).
    const hs = createHomeserverClient({ baseUrl: first.homeserverUrl, accessToken: first.accessToken, maxRetries: 0 });
    expect(await hs.users.get("@admin:sim.test")).toBeTruthy();
    // A second call inside the margin reuses the token rather than refreshing again.
    const second = await collectorToken(db, config);
    expect(second.ok && second.accessToken).toBe(first.accessToken);

    // MAS ends the session (an admin signed it out there): the next refresh is refused, the session ends, and
    // collectors wait with the usual reason instead of using a dead token.
    for (const s of w.mas.state.oauth2Sessions.values()) s.finished_at = w.sim.clock.now();
    await db.update(masSessionGrants).set({ accessExpiresAt: new Date(Date.now() + 10_000) });
    const ended = await collectorToken(db, config);
    expect(ended.ok).toBe(false);
    if (!ended.ok) expect(ended.reason).toContain("Collectors are waiting");
    expect(await db.select().from(adminSessions)).toHaveLength(0);
  });
});

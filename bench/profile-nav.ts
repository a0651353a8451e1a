/**
 * A JavaScript CPU profile of one client-side navigation, for finding where a screen's script time goes.
 *
 *   BENCH_DATABASE_URL=postgres://… npx tsx bench/profile-nav.ts [users=1000] [from=/] [link=/users] [runs=3]
 *
 * Seeds a scratch database as the screens benchmark does, starts the production server, signs in, opens `from`, and
 * for each run clicks the menu link `link` (after resting the pointer on it) with the V8 sampling profiler on, then
 * prints the functions with the most self time (summed over the runs) and the scripts they come from.
 * With PROFILE_NAV_CONTENT=<CSS selector>, no profiler: it prints each run's time from the click to the first frame
 * showing that selector on the new page, as the screens benchmark measures it (for trying a change quickly).
 * PROFILE_NAV_SETTLE_MS (500) is how long the `from` page is left after hydrating before the pointer moves; 0 comes
 * closest to the screens benchmark, which leaves the overview right after sign-in has drawn its charts. With
 * PROFILE_NAV_UNTIL=<CSS selector>, the profile stops once that selector is on the new page (the work before its
 * first frame) instead of 400 ms after the click.
 * Investigation only: the profiler slows the page.
 */
import os from "node:os";
import fs from "node:fs";
import path from "node:path";
import { openDatabase } from "../db/client";
import { startSimulatorProcess } from "./simulator-process";
import { launchBrowser } from "../tests/helpers/browser";
import { createScratchPostgres } from "./seed";
import { startServer, stopServer } from "./server-process";
import { seed } from "./scenarios/screens";
import { NetworkMeter, arm, benchContext, result } from "./screens-probe";
import { TraceMap, originalPositionFor } from "@jridgewell/trace-mapping";

const root = path.resolve(
  path.dirname(new URL(import.meta.url).pathname),
  ".."
);
const maps = new Map<string, TraceMap | null>();
/** The original function and file of a position in a built script, when the build has source maps (--sourcemap). */
function original(url: string, line: number, column: number): string | null {
  const m = /\/build\/(.*\.js)$/.exec(url);
  if (!m || line < 0) return null;
  if (!maps.has(m[1])) {
    const file = path.join(root, "public", "build", m[1] + ".map");
    maps.set(
      m[1],
      fs.existsSync(file) ? new TraceMap(fs.readFileSync(file, "utf8")) : null
    );
  }
  const map = maps.get(m[1]);
  if (!map) return null;
  const o = originalPositionFor(map, { line: line + 1, column });
  return o.source
    ? `${o.name ?? "?"} ${o.source.replace(/^.*node_modules\//, "")}:${o.line}`
    : null;
}

interface ProfileNode {
  id: number;
  callFrame: {
    functionName: string;
    url: string;
    lineNumber: number;
    columnNumber: number;
  };
  hitCount?: number;
  children?: number[];
}

const [usersArg, from = "/", link = "/users", runsArg] = process.argv.slice(2);
const users = Number(usersArg ?? 1000);
const runs = Number(runsArg ?? 3);
/** How long the `from` page is left to settle after hydrating before the pointer moves to the link. */
const SETTLE_MS = Number(process.env.PROFILE_NAV_SETTLE_MS ?? 500);
const UNTIL = process.env.PROFILE_NAV_UNTIL;

const sim = await startSimulatorProcess();
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "steward-profile-"));
const base = process.env.BENCH_DATABASE_URL;
const scratch = base
  ? await createScratchPostgres(base, `steward_profile_${process.pid}`)
  : undefined;
const database = await openDatabase(
  scratch ? { url: scratch.url } : { dataDir }
);
await seed(database, sim, users);
await database.close();
const server = await startServer({
  TRUST_PROXY: "loopback",
  HOMESERVER_URL: sim.url,
  SESSION_SECRET: "bench-secret-bench-secret-bench-secret-0123",
  STEWARD_DATA_DIR: dataDir,
  ...(scratch ? { DATABASE_URL: scratch.url } : {}),
});
const { browser, close } = await launchBrowser();
try {
  const context = await benchContext(browser);
  const contentSelector = process.env.PROFILE_NAV_CONTENT;
  const meter = contentSelector
    ? await NetworkMeter.attach(await context.newPage())
    : undefined;
  const page = context.pages()[0] ?? (await context.newPage());
  await page.goto(`${server.url}/login?next=${encodeURIComponent(from)}`);
  await page.waitForSelector("html[data-hydrated=true]");
  await page.fill('input[name="username"]', "admin");
  await page.fill('input[name="password"]', "admin");
  await page.click('form button[type="submit"]');
  await page.waitForURL(`${server.url}${from}`);
  await page.waitForSelector("html[data-hydrated=true]");
  const cdp = await context.newCDPSession(page);
  await cdp.send("Profiler.enable");
  await cdp.send("Profiler.setSamplingInterval", { interval: 100 });
  const self = new Map<string, number>();
  let total = 0;
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    await page.goto(`${server.url}${from}`);
    await page.waitForSelector("html[data-hydrated=true]");
    await page.waitForTimeout(500);
    // A path is a main-menu link; anything else is a CSS selector (e.g. '.pager a[rel="next"]').
    const a = page
      .locator(link.startsWith("/") ? `nav.app-nav a[href="${link}"]` : link)
      .first();
    await a.hover();
    await page.waitForTimeout(150);
    if (contentSelector) {
      const escaped = from.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
      await arm(page, {
        url: `^(?!${escaped}$)`,
        selectors: [contentSelector],
        text: "",
      });
      await a.click();
      const t = await result(page, meter!, "navigation");
      times.push(t.contentMs);
      continue;
    }
    await cdp.send("Profiler.start");
    // The URL before the click: with the data asked for on intent, the navigation may be over before click() returns.
    const before = page.url();
    await a.click();
    await page.waitForFunction((u) => location.href !== u, before);
    // With PROFILE_NAV_UNTIL, only the work before that selector is on the page (what delays the first frame).
    if (UNTIL) await page.waitForSelector(UNTIL);
    else await page.waitForTimeout(400);
    const { profile } = (await cdp.send("Profiler.stop")) as {
      profile: {
        nodes: ProfileNode[];
        samples: number[];
        timeDeltas: number[];
      };
    };
    const byId = new Map(profile.nodes.map((n) => [n.id, n]));
    profile.samples.forEach((id, k) => {
      const n = byId.get(id)!;
      const f = n.callFrame;
      if (f.functionName === "(idle)" || f.functionName === "(program)") return;
      const key =
        original(f.url, f.lineNumber, f.columnNumber) ??
        `${f.functionName || "(anonymous)"} ${f.url.replace(
          /^.*\/build\//,
          ""
        )}:${f.lineNumber}:${f.columnNumber}`;
      const dt = profile.timeDeltas[k] / 1000;
      self.set(key, (self.get(key) ?? 0) + dt);
      total += dt;
    });
  }
  if (contentSelector) {
    const sorted = [...times].sort((x, y) => x - y);
    console.log(
      `${from} → ${link}: to content ${times
        .map((x) => x.toFixed(0))
        .join("/")} ms; median ${sorted[Math.floor(sorted.length / 2)].toFixed(
        1
      )} ms`
    );
  } else report();
  function report() {
    console.log(
      `script self time over ${runs} navigations ${from} → ${link}: ${total.toFixed(
        1
      )} ms (${(total / runs).toFixed(1)} ms each)`
    );
    const byFile = new Map<string, number>();
    for (const [k, v] of self) {
      const file = k
        .split(" ")
        .slice(1)
        .join(" ")
        .replace(/:\d+(:\d+)?$/, "")
        .replace(/^(@?[^/]+(\/[^/]+)?)\/.*$/, (m, pkg: string) =>
          m.startsWith("../") ? m : pkg
        );
      byFile.set(file, (byFile.get(file) ?? 0) + v);
    }
    console.log("by package or file:");
    for (const [k, v] of [...byFile].sort((a, b) => b[1] - a[1]).slice(0, 25))
      console.log(
        `${(v / runs).toFixed(2).padStart(7)} ms  ${k || "(native)"}`
      );
    console.log("by function:");
    for (const [k, v] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 40))
      console.log(`${(v / runs).toFixed(2).padStart(7)} ms  ${k}`);
  }
} finally {
  await close();
  await stopServer(server.child);
  await sim.close();
  await scratch?.drop();
  fs.rmSync(dataDir, { recursive: true, force: true });
}

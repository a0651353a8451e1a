/**
 * The floor under the screens benchmark's cold page load (issue 18): the same measurement, in the same browser and
 * run, of the smallest page this stack can make. bench/baseline-app is a one-route Remix app built with Steward's
 * compiler, settings and packages, whose page is a 50-row table from its loader (as many rows as the users list
 * shows) and nothing else: no menus, no query client, no stylesheet beyond a few lines. Measured twice, cold (a fresh
 * profile, by URL, from navigation start):
 * - the app itself: to content (the first row in a frame) and to interactive (hydrated, client router idle);
 * - the same page's HTML with its scripts taken out, from a static file: to content only (nothing to hydrate).
 * What Steward's cold users list takes beyond these is Steward's; what these take is React, Remix and the browser's.
 */
import os from "node:os";
import fs from "node:fs";
import path from "node:path";
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { Browser } from "playwright-core";
import { percentile, type BenchResult } from "./types";
import { startServer, stopServer } from "./server-process";
import { coldLoad, type Timing, type Watch } from "./screens-probe";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const fixture = path.join(root, "bench", "baseline-app");
/** The packages the baseline's build needs, at Steward's own versions (read from Steward's package.json). */
const PACKAGES = ["@remix-run/express", "@remix-run/node", "@remix-run/react", "isbot", "react", "react-dom"];

/** Copies the fixture to a scratch project directory (Steward's node_modules linked in) and builds it there. */
function buildBaseline(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "steward-baseline-"));
  fs.cpSync(path.join(fixture, "app"), path.join(dir, "app"), { recursive: true });
  fs.copyFileSync(path.join(fixture, "remix.config.js"), path.join(dir, "remix.config.js"));
  const own = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8")) as { dependencies: Record<string, string>; devDependencies: Record<string, string> };
  const dependencies = Object.fromEntries(PACKAGES.map((p) => [p, own.dependencies[p]]));
  fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name: "steward-bench-baseline", private: true, type: "module", dependencies, devDependencies: { "@remix-run/dev": own.devDependencies["@remix-run/dev"] } }));
  fs.symlinkSync(path.join(root, "node_modules"), path.join(dir, "node_modules"));
  execFileSync(path.join(root, "node_modules", ".bin", "remix"), ["build"], { cwd: dir, env: { ...process.env, NODE_ENV: "production" }, stdio: "pipe" });
  return dir;
}

/** Cold loads of `url`, each in a fresh profile: 1 warm-up, then `runs` measured. */
async function coldLoads(browser: Browser, url: string, watch: Watch, runs: number): Promise<Timing[]> {
  const out: Timing[] = [];
  for (let i = 0; i <= runs; i++) {
    const t = await coldLoad(browser, url, watch);
    if (i > 0) out.push(t);
  }
  return out;
}

function row(name: string, xs: Timing[], interactive: boolean): BenchResult {
  const med = (f: (t: Timing) => number) => percentile(xs.map(f), 50);
  const requests = med((x) => x.requests);
  return {
    name,
    value: med((x) => x.contentMs),
    unit: "ms",
    note: `${interactive ? `interactive ${med((x) => x.interactiveMs).toFixed(0)} ms; ` : ""}${requests} request${requests === 1 ? "" : "s"}, ${(med((x) => x.bytes) / 1024).toFixed(1)} KB; to content ${xs.map((x) => x.contentMs.toFixed(0)).join("/")} ms`,
  };
}

export async function measureBaseline(browser: Browser, runs: number): Promise<BenchResult[]> {
  const dir = buildBaseline();
  let server: Awaited<ReturnType<typeof startServer>> | undefined;
  try {
    server = await startServer({ BASELINE_OUT: dir }, path.join(fixture, "server.mjs"));
    // The page without scripts: the app's own HTML, its script tags and module preloads taken out.
    const html = await fetch(`${server.url}/`).then((r) => r.text());
    const bare = html.replace(/<script\b[\s\S]*?<\/script>/g, "").replace(/<link rel="modulepreload"[^>]*>/g, "");
    if (/<script|modulepreload/.test(bare) || !bare.includes("@user000")) throw new Error("baseline: the page without scripts is not what was expected");
    fs.writeFileSync(path.join(dir, "public", "no-scripts.html"), bare);
    const rows = { selectors: ['[data-testid="baseline-table"] tbody tr:first-child'], text: "@user000" };
    const app = await coldLoads(browser, `${server.url}/`, { url: "^/$", ...rows }, runs);
    const html0 = await coldLoads(browser, `${server.url}/no-scripts.html`, { url: "^/no-scripts\\.html$", ...rows, static: true }, runs);
    return [
      row("baseline: a one-route Remix app, a 50-row table, cold page load", app, true),
      row("baseline: the same page without its scripts, cold page load", html0, false),
    ];
  } finally {
    if (server) await stopServer(server.child);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

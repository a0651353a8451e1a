/**
 * Real Chromium (Debian's package) driven by playwright-core. When no Chromium is found the browser suites are
 * skipped LOUDLY — and CI sets STEWARD_REQUIRE_BROWSER=1, which turns that skip into a failure.
 */
import fs from "node:fs";
import path from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";

export const chromePath = process.env.CHROME_PATH || "/usr/bin/chromium";
export const haveChromium = fs.existsSync(chromePath);

if (!haveChromium) {
  const msg = `No Chromium at ${chromePath}: browser tests are SKIPPED (install chromium or set CHROME_PATH).`;
  if (process.env.STEWARD_REQUIRE_BROWSER === "1") throw new Error(msg + " STEWARD_REQUIRE_BROWSER=1 forbids skipping them.");
  console.warn(`\n!!! ${msg}\n`);
}

export async function launchBrowser(): Promise<{ browser: Browser; close(): Promise<void> }> {
  // playwright gives every launch a fresh, throw-away profile directory (the --user-data-dir is its own).
  const browser = await chromium.launch({
    executablePath: chromePath,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--disable-dev-shm-usage",
    ],
  });
  return {
    browser,
    async close() {
      await browser.close();
    },
  };
}

/** Where screenshots go (kept as CI artifacts, ignored by git). */
export const artifactsDir = path.resolve("test-artifacts");
export function artifactPath(name: string): string {
  fs.mkdirSync(artifactsDir, { recursive: true });
  return path.join(artifactsDir, name);
}

/**
 * A page of a new context (1200×1000) signed in to Steward as the simulator's admin through the sign-in form, as a
 * person does, and left on the overview.
 */
export async function openSignedInPage(browser: Browser, stewardUrl: string): Promise<Page> {
  const page = await (await browser.newContext({ viewport: { width: 1200, height: 1000 } })).newPage();
  await page.goto(stewardUrl + "/login");
  await page.getByLabel("Username").fill("admin");
  await page.getByLabel("Password").fill("admin");
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL(stewardUrl + "/");
  return page;
}

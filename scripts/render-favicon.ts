/**
 * Draws public/favicon.png (32 × 32) from public/favicon.svg in Chromium: `npx tsx scripts/render-favicon.ts`.
 *
 * Pages link the PNG, not the SVG: Chromium fetches a page's icon again after each client-side navigation in a fresh
 * profile, and it draws an SVG icon as a document of its own on the page's main thread (5–12 ms on the 2-core host,
 * right before the next page's first frame; issue 18). A PNG is decoded in well under a millisecond.
 */
import fs from "node:fs";
import path from "node:path";
import { launchBrowser } from "../tests/helpers/browser";

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), "..");
const svg = fs.readFileSync(path.join(root, "public", "favicon.svg"), "utf8");
const { browser, close } = await launchBrowser();
try {
  const page = await browser.newPage({ viewport: { width: 32, height: 32 }, deviceScaleFactor: 1 });
  await page.setContent(`<html><body style="margin:0;background:transparent">${svg.replace("<svg ", '<svg width="32" height="32" ')}</body></html>`);
  const png = await page.screenshot({ omitBackground: true, clip: { x: 0, y: 0, width: 32, height: 32 } });
  fs.writeFileSync(path.join(root, "public", "favicon.png"), png);
  console.log(`public/favicon.png: ${png.length} bytes`);
} finally {
  await close();
}

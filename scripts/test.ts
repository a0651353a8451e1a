/**
 * `npm test`: build the app (browser and integration tests run the real server), then run every vitest suite.
 * Extra arguments go to vitest (e.g. `npm test -- tests/unit`).
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const run = (args: string[], env: NodeJS.ProcessEnv = process.env) =>
  spawnSync(process.execPath, args, { cwd: root, stdio: "inherit", env }).status ?? 1;

const chrome = process.env.CHROME_PATH || "/usr/bin/chromium";
if (!fs.existsSync(chrome)) {
  console.warn(`\n!!! No Chromium at ${chrome}: the browser tests will be SKIPPED. Install it (apt-get install -y chromium) or set CHROME_PATH.\n`);
}
console.log(`Database for this run: ${process.env.TEST_DATABASE_URL ? "PostgreSQL (TEST_DATABASE_URL)" : "embedded PGlite"}`);
if (run([path.join(root, "node_modules/@remix-run/dev/dist/cli.js"), "build"]) !== 0) process.exit(1);
// The scripts' compressed copies, as `npm run build` makes them (decision 037; tests/integration/static-assets.test.ts).
if (run([path.join(root, "scripts/precompress-assets.mjs")]) !== 0) process.exit(1);
const results = path.join(root, "test-artifacts", "vitest-results.json");
fs.rmSync(results, { force: true });
const status = run([
  path.join(root, "node_modules/vitest/vitest.mjs"),
  "run",
  "--reporter=default",
  "--reporter=json",
  `--outputFile.json=${results}`,
  ...process.argv.slice(2),
]);
// One plain closing line with the counts, for CI logs and anyone skimming the end of the output.
try {
  const r = JSON.parse(fs.readFileSync(results, "utf8")) as { numPassedTests: number; numFailedTests: number; numPendingTests: number; numTodoTests: number };
  console.log(`\n${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests + r.numTodoTests} skipped`);
} catch {
  console.log("\n(no test results were written)");
}
process.exit(status);

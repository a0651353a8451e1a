/**
 * `npm run bench [-- name ...]`: runs every scenario in bench/scenarios (or the named ones) and writes
 * BENCHMARKS.md with the machine and the date. Database: PGlite, or PostgreSQL when BENCH_DATABASE_URL is set
 * (scenarios read it themselves).
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { BenchResult, BenchScenario } from "./types";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "..");
const only = process.argv.slice(2);
const files = fs
  .readdirSync(path.join(here, "scenarios"))
  .filter((f) => f.endsWith(".ts"))
  .filter((f) => !only.length || only.includes(f.replace(/\.ts$/, "")))
  .sort();

const sections: string[] = [];
let failed = false;
for (const file of files) {
  const name = file.replace(/\.ts$/, "");
  console.log(`== ${name}`);
  const started = Date.now();
  try {
    const mod = (await import(pathToFileURL(path.join(here, "scenarios", file)).href)) as { default: BenchScenario };
    const results: BenchResult[] = await mod.default();
    const rows = results.map((r) => {
      const value = Number.isInteger(r.value) ? String(r.value) : r.value.toFixed(r.value < 10 ? 2 : 1);
      const verdict = r.ok === undefined ? "" : r.ok ? "✅" : "❌";
      console.log(`  ${r.name}: ${value} ${r.unit} ${r.target ? `(target ${r.target}) ${verdict}` : ""}`);
      return `| ${r.name} | ${value} ${r.unit} | ${r.target ?? ""} ${verdict} | ${r.note ?? ""} |`;
    });
    sections.push(`## ${name}\n\n| measure | result | target | note |\n|---|---|---|---|\n${rows.join("\n")}\n\n_${Math.round((Date.now() - started) / 1000)} s to run._\n`);
  } catch (e) {
    failed = true;
    console.error(`  failed: ${(e as Error).stack}`);
    sections.push(`## ${name}\n\nThe scenario failed: ${(e as Error).message}\n`);
  }
}

const cpu = os.cpus()[0]?.model ?? "unknown CPU";
const header = `# Benchmarks\n\nWritten by \`npm run bench\` on ${new Date().toISOString().slice(0, 10)}.\nMachine: ${os.cpus().length} × ${cpu}, ${Math.round(os.totalmem() / 2 ** 30)} GiB RAM, ${os.type()} ${os.release()}, Node ${process.version}.\n\n`;
const out = path.join(root, "BENCHMARKS.md");
if (only.length && fs.existsSync(out)) {
  // Re-running some scenarios replaces just their sections.
  let text = fs.readFileSync(out, "utf8").replace(/^# Benchmarks[\s\S]*?\n\n(?=## |$)/, header);
  for (const s of sections) {
    const name = s.slice(3, s.indexOf("\n"));
    const re = new RegExp(`## ${name}\\n[\\s\\S]*?(?=\\n## |$)`);
    text = re.test(text) ? text.replace(re, s.trimEnd() + "\n") : text.trimEnd() + "\n\n" + s;
  }
  fs.writeFileSync(out, text.trimEnd() + "\n");
} else {
  fs.writeFileSync(out, header + sections.join("\n"));
}
console.log(`wrote ${out}`);
process.exit(failed ? 1 : 0);

/**
 * A new embedded database is unpacked from a template made at build time instead of being created by initdb at
 * first start (decision 012).
 *
 * Why: PGlite creates a data directory by running initdb in a second WebAssembly instance beside the database's
 * own, then copying the result over; the process peaks near 840 MB doing it, against ~300 MB when the same files are
 * unpacked from an archive. The admin this default is for may run Steward beside Synapse on a 1 GB VPS, where the
 * first start is the one most likely to be killed for memory. `npm run build` (and so the Docker image's build stage)
 * pays the initdb once instead. The archive is what PGlite itself copies after its initdb, so nothing else changes.
 *
 * The archive is named after the PGlite version that made it: after an upgrade without a rebuild it is not found,
 * and the first start falls back to initdb.
 */
import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { PGlite } from "@electric-sql/pglite";
import { PGLITE_EXTENSIONS } from "./pglite-extensions";

const here = path.dirname(fileURLToPath(import.meta.url));

/** The installed PGlite's version (its package.json is not exported, so it is read from the package directory). */
export function pgliteVersion(): string {
  const entry = createRequire(import.meta.url).resolve("@electric-sql/pglite");
  let dir = path.dirname(entry);
  while (!fs.existsSync(path.join(dir, "package.json"))) dir = path.dirname(dir);
  return (JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8")) as { version: string }).version;
}

export const templateFileName = (version = pgliteVersion()) => `pglite-template-${version}.tar.gz`;

/** build/, whether this module runs from db/ (tsx) or bundled into build/server.js. */
export const TEMPLATE_DIRS = [here, path.resolve(here, "..", "build")];

/** The build's template for the installed PGlite, or undefined when there is none (not built, or built by another). */
export function findTemplate(dirs = TEMPLATE_DIRS): string | undefined {
  const name = templateFileName();
  return dirs.map((d) => path.join(d, name)).find((p) => fs.existsSync(p));
}

/** Runs initdb once (in memory) and writes the resulting data directory as a gzipped tar. Returns the file. */
export async function writeTemplate(outDir: string): Promise<string> {
  const db = new PGlite();
  try {
    await db.waitReady;
    const archive = await db.dumpDataDir("gzip");
    fs.mkdirSync(outDir, { recursive: true });
    const file = path.join(outDir, templateFileName());
    // Written whole and renamed: a build killed halfway leaves no truncated template behind.
    fs.writeFileSync(`${file}.tmp`, Buffer.from(await archive.arrayBuffer()));
    fs.renameSync(`${file}.tmp`, file);
    return file;
  } finally {
    await db.close();
  }
}

/**
 * Opens a PGlite data directory; a new one is unpacked from the build's template when there is one (decision 012),
 * else created by PGlite's initdb. A template that cannot be unpacked is left for initdb, not a failed start.
 */
export async function openPgliteDataDir(pgDir: string, startParams: string[], template: string | false | undefined): Promise<{ client: PGlite; created?: "template" | "initdb" }> {
  if (fs.existsSync(path.join(pgDir, "PG_VERSION"))) {
    const client = new PGlite(pgDir, { startParams, extensions: PGLITE_EXTENSIONS });
    await client.waitReady;
    return { client };
  }
  const archive = template === false ? undefined : (template ?? findTemplate());
  if (archive) {
    let client: PGlite | undefined;
    try {
      client = new PGlite(pgDir, { startParams, extensions: PGLITE_EXTENSIONS, loadDataDir: new Blob([fs.readFileSync(archive)]) });
      await client.waitReady;
      return { client, created: "template" };
    } catch (e) {
      console.warn(`Steward: could not unpack the embedded database template ${archive} (${(e as Error).message}); creating the database with initdb instead.`);
      await client?.close().catch(() => {});
      // It held no database before (no PG_VERSION): whatever the failed unpacking left goes, so initdb starts clean.
      fs.rmSync(pgDir, { recursive: true, force: true });
    }
  }
  const client = new PGlite(pgDir, { startParams, extensions: PGLITE_EXTENSIONS });
  await client.waitReady;
  return { client, created: "initdb" };
}

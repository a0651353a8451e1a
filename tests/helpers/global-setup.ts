/**
 * Migrates one template database per test run, so each test file gets a fresh database in milliseconds:
 * PGlite → a dumped data directory that tests load; PostgreSQL (TEST_DATABASE_URL) → a template database.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { PGlite } from "@electric-sql/pglite";
import { PGLITE_EXTENSIONS } from "../../db/pglite-extensions";
import type { TestProject } from "vitest/node";
import { openDatabase } from "../../db/client";

declare module "vitest" {
  export interface ProvidedContext {
    pgliteTemplatePath: string;
    pgTemplateName: string;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export default async function setup(project: TestProject) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "steward-test-"));
  const pglite = new PGlite({ extensions: PGLITE_EXTENSIONS });
  const database = await openDatabase({ pglite });
  await database.migrate();
  const dump = await pglite.dumpDataDir("none");
  const templatePath = path.join(dir, "template.tar");
  fs.writeFileSync(templatePath, Buffer.from(await dump.arrayBuffer()));
  await database.close();
  project.provide("pgliteTemplatePath", templatePath);

  let pgTemplate = "";
  const url = process.env.TEST_DATABASE_URL;
  if (url) {
    pgTemplate = `steward_tpl_${process.pid}`;
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    // Leftovers from killed runs would otherwise pile up.
    const old = await admin.query<{ datname: string }>(
      "select datname from pg_database where datname like 'steward_tpl_%' or datname like 'steward_t_%'",
    );
    for (const r of old.rows) {
      // Only databases of runs whose process is gone: other test runs may be going on right now.
      const pid = Number(/^steward_(?:tpl|t)_(\d+)/.exec(r.datname)?.[1]);
      if (pid && isAlive(pid)) continue;
      await admin.query(`drop database if exists "${r.datname}" with (force)`).catch(() => {});
    }
    await admin.query(`create database "${pgTemplate}"`);
    await admin.end();
    const tplUrl = new URL(url);
    tplUrl.pathname = `/${pgTemplate}`;
    const tpl = await openDatabase({ url: tplUrl.toString(), poolSize: 1 });
    await tpl.migrate();
    await tpl.close();
  }
  project.provide("pgTemplateName", pgTemplate);

  return async () => {
    fs.rmSync(dir, { recursive: true, force: true });
    if (url && pgTemplate) {
      const admin = new pg.Client({ connectionString: url });
      await admin.connect();
      const rows = await admin.query<{ datname: string }>(
        "select datname from pg_database where datname like $1",
        [`steward_t_${process.pid}_%`],
      );
      for (const r of rows.rows) await admin.query(`drop database if exists "${r.datname}" with (force)`).catch(() => {});
      await admin.query(`drop database if exists "${pgTemplate}" with (force)`).catch(() => {});
      await admin.end();
    }
  };
}

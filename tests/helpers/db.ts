/**
 * A fresh, migrated database for one test (file): a PGlite loaded from the run's template, or — when
 * TEST_DATABASE_URL is set — a new PostgreSQL database copied from the run's template database.
 */
import fs from "node:fs";
import pg from "pg";
import { PGlite } from "@electric-sql/pglite";
import { PGLITE_EXTENSIONS } from "../../db/pglite-extensions";
import { inject } from "vitest";
import { openDatabase, type Database } from "../../db/client";

let counter = 0;

export const usingPostgres = Boolean(process.env.TEST_DATABASE_URL);

export interface TestDatabase extends Database {
  /** Connection string for a second process/pool on the same database (PostgreSQL only). */
  url?: string;
}

export async function createTestDb(): Promise<TestDatabase> {
  const url = process.env.TEST_DATABASE_URL;
  if (url) {
    const template = inject("pgTemplateName");
    const name = `steward_t_${process.ppid}_${process.pid}_${++counter}_${Date.now() % 100000}`;
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    try {
      await admin.query(`create database "${name}" template "${template}"`);
    } finally {
      await admin.end();
    }
    const dbUrl = new URL(url);
    dbUrl.pathname = `/${name}`;
    const database = await openDatabase({ url: dbUrl.toString(), poolSize: 5 });
    const close = database.close.bind(database);
    return {
      ...database,
      url: dbUrl.toString(),
      async close() {
        await close();
        const a = new pg.Client({ connectionString: url });
        await a.connect();
        await a.query(`drop database if exists "${name}" with (force)`).catch(() => {});
        await a.end();
      },
    };
  }
  const dump = fs.readFileSync(inject("pgliteTemplatePath"));
  const pglite = new PGlite({ loadDataDir: new Blob([dump]), extensions: PGLITE_EXTENSIONS });
  await pglite.waitReady;
  return openDatabase({ pglite });
}

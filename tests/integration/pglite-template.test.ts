/**
 * A new embedded data directory is unpacked from the build's template (decision 012): it must then be a working,
 * migratable, persistent database like one initdb made; an existing directory is never touched; a broken template
 * falls back to initdb; a template made by another PGlite version is not used.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sql } from "drizzle-orm";
import { openDatabase } from "../../db/client";
import { findTemplate, pgliteVersion, templateFileName, writeTemplate } from "../../db/pglite-template";
import { auditEvents } from "../../db/schema";

let work: string;
let template: string;
const fresh = () => fs.mkdtempSync(path.join(work, "data-"));

beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), "steward-pglite-template-"));
  template = await writeTemplate(path.join(work, "build"));
}, 120_000);
afterAll(() => {
  fs.rmSync(work, { recursive: true, force: true });
});

async function auditCount(dataDir: string, o: { template?: string | false } = {}) {
  const database = await openDatabase({ dataDir, pgliteTemplate: o.template });
  try {
    await database.migrate();
    const result = (await database.db.execute(sql`select count(*)::int as n from audit_events`)) as unknown as { rows: Array<{ n: number }> };
    const n = result.rows[0].n;
    return { created: database.created, n };
  } finally {
    await database.close();
  }
}

describe("embedded database template", () => {
  it("is written under the installed PGlite's version, and found only under that name", () => {
    expect(path.basename(template)).toBe(`pglite-template-${pgliteVersion()}.tar.gz`);
    expect(pgliteVersion()).toMatch(/^\d+\.\d+\.\d+/);
    expect(findTemplate([path.dirname(template)])).toBe(template);
    const other = path.join(work, "other");
    fs.mkdirSync(other);
    fs.copyFileSync(template, path.join(other, templateFileName("0.0.1")));
    expect(findTemplate([other])).toBeUndefined();
  });

  it("makes a new data directory that migrates, keeps what is written, and is opened as it is afterwards", async () => {
    const dir = fresh();
    const first = await openDatabase({ dataDir: dir, pgliteTemplate: template });
    expect(first.created).toBe("template");
    await first.migrate();
    await first.db.insert(auditEvents).values({ at: new Date(), actor: "@admin:t.test", action: "test.template", target: "x", outcome: "ok" });
    await first.close();
    const again = await auditCount(dir, { template });
    expect(again.created).toBeUndefined(); // existing directory: not unpacked again
    expect(again.n).toBe(1);
  }, 60_000);

  it("falls back to initdb when the template cannot be unpacked", async () => {
    const broken = path.join(work, "broken.tar.gz");
    fs.writeFileSync(broken, "this is not a gzip archive");
    const dir = fresh();
    const r = await auditCount(dir, { template: broken });
    expect(r.created).toBe("initdb");
    expect(r.n).toBe(0);
    expect(fs.existsSync(path.join(dir, "pg", "PG_VERSION"))).toBe(true);
  }, 60_000);

  it("uses initdb when told not to use a template", async () => {
    const r = await auditCount(fresh(), { template: false });
    expect(r.created).toBe("initdb");
  }, 60_000);
});

/**
 * What a page makes the browser download: the scripts each route needs (from the build's browser manifest) carry no
 * validation library. The loaders and actions validate with zod, on the server; a schema built at a route's top
 * level stays in the page's scripts after Remix strips the loader, and took zod (60 KB of script, one more request)
 * with it into every page's cold load (issue 18). Reads the build `npm test` makes.
 */
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

const BUILD = path.resolve("public", "build");
/** A manifest's script URL ("/build/_shared/chunk-X.js") as the built file. */
const fileOf = (script: string) => path.join(BUILD, script.replace(/^\/build\//, ""));

interface Manifest {
  entry: { module: string; imports?: string[] };
  routes: Record<string, { module: string; imports?: string[]; parentId?: string }>;
}

function readManifest(): Manifest {
  const file = fs.readdirSync(BUILD).find((n) => /^manifest-[A-Z0-9]+\.js$/.test(n));
  if (!file) throw new Error("no browser manifest in public/build: build first (npm test does)");
  return JSON.parse(fs.readFileSync(path.join(BUILD, file), "utf8").replace(/^window\.__remixManifest\s*=\s*/, "").replace(/;\s*$/, ""));
}

/** The scripts a page of `routeId` loads: the entry's, and each route's from the root down to it. */
function scriptsOf(m: Manifest, routeId: string): string[] {
  const files = new Set([m.entry.module, ...(m.entry.imports ?? [])]);
  for (let id: string | undefined = routeId; id; id = m.routes[id].parentId) {
    files.add(m.routes[id].module);
    for (const i of m.routes[id].imports ?? []) files.add(i);
  }
  return [...files];
}

/** Zod's type names survive minification as strings (its exports and its ZodFirstPartyTypeKind). */
const ZOD = /\bZod(Error|Object|String|FirstPartyTypeKind)\b/;

describe("the browser's scripts", () => {
  const manifest = readManifest();
  const routeIds = Object.keys(manifest.routes);

  it("are known for every route", () => {
    expect(routeIds.length).toBeGreaterThan(20);
    for (const id of routeIds) for (const s of scriptsOf(manifest, id)) expect(fs.existsSync(fileOf(s))).toBe(true);
  });

  it("leave zod out of every page", () => {
    const withZod = new Set<string>();
    for (const id of routeIds)
      for (const s of scriptsOf(manifest, id)) if (ZOD.test(fs.readFileSync(fileOf(s), "utf8"))) withZod.add(`${id}: ${s}`);
    expect([...withZod]).toEqual([]);
  });
});

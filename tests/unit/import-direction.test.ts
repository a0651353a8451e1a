/**
 * Imports run one way (issue 13, decision 013): routes → services → app/homeserver | db; routes → components.
 * The graph of the real tree must have no edge against that, and the check itself must catch a planted one.
 */
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { importEdges, readSources, violations } from "../helpers/import-graph";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

describe("import direction", () => {
  const files = readSources(root, ["app", "db"]);

  it("reads the real tree (guards against a check over nothing)", () => {
    const edges = importEdges(root, files);
    expect(files.size).toBeGreaterThan(100);
    // Routes reach services and components: the graph resolves both `~/` and relative specifiers.
    expect(edges.some((e) => e.from.startsWith("app/routes/") && e.to.startsWith("app/services/"))).toBe(true);
    expect(edges.some((e) => e.from.startsWith("app/services/") && e.to.startsWith("db/"))).toBe(true);
  });

  it("has no import against the layers", () => {
    expect(violations(importEdges(root, files))).toEqual([]);
  });

  it("catches a planted violation of each rule", () => {
    const planted = new Map(files);
    const add = (file: string, line: string) => planted.set(file, `${line}\n${planted.get(file) ?? ""}`);
    add("app/components/overview/KpiCards.tsx", 'import type { KpiContext } from "~/services/overview/kpis.server";');
    add("app/components/Pager.tsx", 'import { schema } from "../../db/schema";');
    add("app/services/tokens/tokens.server.ts", 'import { TokenBadge } from "../../components/tokens/TokenBadges";');
    add("app/services/users/stored.server.ts", 'import type { StewardContext } from "../../context.server";');
    add("app/homeserver/users.ts", 'const m = await import("../services/users/stored.server");');
    const found = violations(importEdges(root, planted)).sort();
    expect(found).toEqual([
      "app/components/Pager.tsx:1 imports db/schema/index.ts: a component imports the database layer",
      "app/components/overview/KpiCards.tsx:1 imports app/services/overview/kpis.server.ts: a component imports a server module",
      "app/homeserver/users.ts:1 imports app/services/users/stored.server.ts: the homeserver client imports the app",
      "app/services/tokens/tokens.server.ts:1 imports app/components/tokens/TokenBadges.tsx: a service imports a component",
      "app/services/users/stored.server.ts:1 imports app/context.server.ts: a service imports the app context",
    ]);
  });
});

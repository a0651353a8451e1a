/**
 * The import graph of Steward's own code, for the import-direction test (issue 13, decision 013): which module
 * imports which, resolved to files, and the rules the layers follow.
 *
 *   routes → services → app/homeserver | db;   routes → components;
 *   components import no *.server module, no db/ and no route; services import no component, no route and not
 *   app/context.server.ts; app/homeserver imports nothing of the app but itself; db/ imports nothing of app/.
 */
import fs from "node:fs";
import path from "node:path";

export interface ImportEdge {
  from: string; // repo-relative path of the importing file
  to: string; // repo-relative path of the imported file
  line: number;
}

const SPECIFIER = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)(["'])([^"']+)\1/g;
const EXTENSIONS = ["", ".ts", ".tsx", ".js", ".mjs", "/index.ts", "/index.tsx"];

/** The import specifiers of one source text, with their line numbers (comments are not stripped: keep it simple). */
export function specifiersOf(source: string): { spec: string; line: number }[] {
  const out: { spec: string; line: number }[] = [];
  for (const m of source.matchAll(SPECIFIER)) {
    out.push({ spec: m[2], line: source.slice(0, m.index).split("\n").length });
  }
  return out;
}

/** Resolves a relative or `~/` specifier to a repo-relative file; packages (and unknown files) give null. */
export function resolveSpecifier(root: string, fromFile: string, spec: string, exists: (p: string) => boolean): string | null {
  let base: string;
  if (spec.startsWith("~/")) base = path.join(root, "app", spec.slice(2));
  else if (spec.startsWith(".")) base = path.resolve(path.dirname(path.join(root, fromFile)), spec);
  else return null;
  for (const ext of EXTENSIONS) if (exists(base + ext)) return path.relative(root, base + ext).split(path.sep).join("/");
  return null;
}

export function importEdges(root: string, files: Map<string, string>): ImportEdge[] {
  const exists = (p: string) => files.has(path.relative(root, p).split(path.sep).join("/"));
  const edges: ImportEdge[] = [];
  for (const [file, source] of files) {
    for (const { spec, line } of specifiersOf(source)) {
      const to = resolveSpecifier(root, file, spec, exists);
      if (to) edges.push({ from: file, to, line });
    }
  }
  return edges;
}

const isServerModule = (f: string) => /\.server\.tsx?$/.test(f) || f.includes("/.server/");
const under = (f: string, dir: string) => f.startsWith(dir + "/");

/** Every edge that runs against the layers, with the rule it breaks. */
export function violations(edges: ImportEdge[]): string[] {
  const out: string[] = [];
  for (const e of edges) {
    const at = `${e.from}:${e.line} imports ${e.to}`;
    if (under(e.from, "app/components")) {
      if (isServerModule(e.to)) out.push(`${at}: a component imports a server module`);
      else if (under(e.to, "db")) out.push(`${at}: a component imports the database layer`);
      else if (under(e.to, "app/routes")) out.push(`${at}: a component imports a route`);
      else if (under(e.to, "app/homeserver")) out.push(`${at}: a component imports the homeserver client`);
    }
    if (under(e.from, "app/services")) {
      if (under(e.to, "app/components")) out.push(`${at}: a service imports a component`);
      else if (under(e.to, "app/routes")) out.push(`${at}: a service imports a route`);
      else if (e.to === "app/context.server.ts") out.push(`${at}: a service imports the app context`);
    }
    if (under(e.from, "app/homeserver") && under(e.to, "app") && !under(e.to, "app/homeserver")) {
      out.push(`${at}: the homeserver client imports the app`);
    }
    if (under(e.from, "db") && under(e.to, "app")) out.push(`${at}: the database layer imports the app`);
  }
  return out;
}

/** Reads every source file under the given repo-relative folders. */
export function readSources(root: string, dirs: string[]): Map<string, string> {
  const files = new Map<string, string>();
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(path.join(root, dir), { withFileTypes: true })) {
      const rel = `${dir}/${entry.name}`;
      if (entry.isDirectory()) walk(rel);
      else if (/\.(ts|tsx)$/.test(entry.name)) files.set(rel, fs.readFileSync(path.join(root, rel), "utf8"));
    }
  };
  for (const d of dirs) walk(d);
  return files;
}

/**
 * The built stylesheets' text, keyed by the URL a page would link them at (`/build/_assets/app-<hash>.css`), read
 * once when the server starts; pages carry them inline (app/components/stylesheet.tsx, decision 035). The names are
 * content-hashed, so a rebuilt app is a new key; a missing directory (no build yet) is an empty map and pages link.
 */
import fs from "node:fs";
import path from "node:path";

export function readStylesheets(publicDir: string, publicPath = "/build/"): ReadonlyMap<string, string> {
  const dir = path.join(publicDir, "build", "_assets");
  const out = new Map<string, string>();
  let names: string[] = [];
  try {
    names = fs.readdirSync(dir).filter((n) => n.endsWith(".css"));
  } catch {
    return out;
  }
  for (const n of names) out.set(`${publicPath}_assets/${n}`, fs.readFileSync(path.join(dir, n), "utf8"));
  return out;
}

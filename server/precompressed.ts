/**
 * Serves the build's scripts and stylesheets from the brotli or gzip copies written at build time
 * (scripts/precompress-assets.mjs, decision 037) when the browser accepts them: no compression per request. Only
 * files found when the server starts are candidates (a request names one of them or falls through to the plain
 * static handler); anything else, or a browser accepting neither encoding, gets the plain file as before.
 */
import fs from "node:fs";
import path from "node:path";
import type { NextFunction, Request, Response } from "express";

type Encoding = "br" | "gzip";
const SUFFIX: Record<Encoding, string> = { br: ".br", gzip: ".gz" };

/** The files under `dir` with compressed copies, by URL path below the mount point ("/_shared/chunk-X.js"). */
function scan(dir: string): Map<string, Encoding[]> {
  const out = new Map<string, Encoding[]>();
  const walk = (d: string) => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(d, { withFileTypes: true });
    } catch {
      return; // no build yet: nothing to serve compressed
    }
    const names = new Set(entries.map((e) => e.name));
    for (const e of entries) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (!/\.(br|gz)$/.test(e.name)) {
        // Brotli first: the smaller of the two, and every current browser sends it over https.
        const encodings = (["br", "gzip"] as const).filter((enc) => names.has(e.name + SUFFIX[enc]));
        if (encodings.length) out.set("/" + path.relative(dir, p).split(path.sep).join("/"), encodings);
      }
    }
  };
  walk(dir);
  return out;
}

export function precompressedAssets(dir: string, opts: { maxAge: string; immutable: boolean }) {
  const files = scan(dir);
  return (req: Request, res: Response, next: NextFunction) => {
    if (req.method !== "GET" && req.method !== "HEAD") return next();
    // The copies are reached only through their file's name (with the right type and encoding), not by their own.
    if (/\.(br|gz)$/.test(req.path)) return void res.status(404).type("text/plain").send("Not found");
    const encodings = files.get(req.path);
    if (!encodings) return next();
    res.vary("Accept-Encoding");
    // Ours in our order (brotli first), among those the browser accepts: Chromium lists gzip before br, all equal.
    const encoding = encodings.find((enc) => req.acceptsEncodings(enc) === enc);
    if (!encoding) return next();
    // The type of the original file, not of its compressed copy; sendFile leaves a type already set alone.
    res.type(path.extname(req.path));
    res.setHeader("Content-Encoding", encoding);
    res.sendFile(path.join(dir, req.path + SUFFIX[encoding]), { maxAge: opts.maxAge, immutable: opts.immutable }, (err) => {
      if (err && !res.headersSent) {
        res.removeHeader("Content-Encoding");
        next();
      }
    });
  };
}

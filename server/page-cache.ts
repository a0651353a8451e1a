/**
 * Express glue of the rendered-page cache (app/services/page-cache/cache.server.ts, decision 010).
 *
 * - Every request gets its CSP nonce here, so a stored page can be served with a fresh one.
 * - A signed-in document GET whose page is stored, with a session that still passes the check a loader would make,
 *   is answered from the store: no loaders, no React render.
 * - Otherwise the request renders normally; when the page's loader allowed it, the answer is captured on its way
 *   out and stored (200, HTML, no cookie set, no data change while rendering).
 * - A mutation handled by this process empties the store when it ends, before the database's change notification
 *   could arrive: the admin who just acted never sees the page from before.
 */
import crypto from "node:crypto";
import type { NextFunction, Request, Response } from "express";
import type { StewardContext } from "../app/context.server";
import { NONCE_MARK, joinWithNonce, splitAtNonce, type PageCache, type PageCacheSlot } from "../app/services/page-cache/cache.server";
import { sessionForStoredPage } from "../app/services/auth/guard.server";
import { parseCookies, SESSION_COOKIE } from "../app/services/auth/session.server";
import { sha256 } from "../app/services/auth/crypto.server";
import type { DataChangeFeed } from "../db/client";

/** Headers that belong to one response only, or that compression and Node set for each answer. */
const PER_RESPONSE_HEADERS = new Set([
  "x-request-id",
  "server-timing",
  "set-cookie",
  "content-length",
  "content-encoding",
  "transfer-encoding",
  "vary",
  "etag",
  "date",
  "connection",
  "keep-alive",
  "x-page-cache",
]);

export function cspNonceMiddleware(_req: Request, res: Response, next: NextFunction) {
  res.locals.cspNonce = crypto.randomBytes(16).toString("base64");
  next();
}

/** Which stored page a request could be answered with, or null when it is not a candidate. */
function cacheKey(req: Request): string | null {
  if (req.method !== "GET") return null;
  if (!(req.get("accept") ?? "").includes("text/html")) return null;
  // Remix data requests (client-side navigation) return JSON for one route; only whole documents are stored.
  if (req.query._data !== undefined) return null;
  const cookie = parseCookies(req.get("cookie") ?? null)[SESSION_COOKIE];
  if (!cookie || cookie.length > 200) return null;
  return `${sha256(cookie)}\n${req.originalUrl}`;
}

export function pageCacheMiddleware(steward: StewardContext, cache: PageCache, feed: Pick<DataChangeFeed, "sync">) {
  return (req: Request, res: Response, next: NextFunction) => {
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.on("finish", () => cache.dataChanged());
      return next();
    }
    const key = cache.enabled ? cacheKey(req) : null;
    if (!key) return next();
    if (cache.lookup(key)) {
      // The feed's sync: a change committed anywhere before this request arrived has emptied the store by now.
      Promise.all([sessionForStoredPage(steward, req.get("cookie")), feed.sync()]).then(
        ([session]) => {
          const stored = cache.lookup(key);
          if (!session || !stored || res.headersSent) return miss(steward, res, next, cache, key);
          cache.stats.hits++;
          steward.metrics.inc("steward_page_cache_requests_total", "Signed-in page requests by page cache result.", { result: "hit" });
          const nonce = res.locals.cspNonce as string;
          res.status(stored.status);
          for (const [name, value] of stored.headers) res.setHeader(name, value.includes(NONCE_MARK) ? value.replaceAll(NONCE_MARK, nonce) : value);
          const t = res.locals.timing as { dbMs: number } | undefined;
          res.setHeader("Server-Timing", `db;desc="Steward database";dur=${(t?.dbMs ?? 0).toFixed(1)}, cache;desc="Stored page"`);
          res.setHeader("X-Page-Cache", "hit");
          res.setHeader("Vary", "Accept-Encoding");
          // Compressed here from parts deflated once (the compression middleware leaves an encoded body alone).
          const gzip = req.acceptsEncodings("gzip") === "gzip";
          const body = gzip ? cache.gzipped(stored, nonce) : joinWithNonce(stored, nonce);
          if (gzip) res.setHeader("Content-Encoding", "gzip");
          res.setHeader("Content-Length", body.length);
          res.end(body);
        },
        // The session could not be checked or the feed synced (database down): render normally, which answers
        // with the plain 503 when the database is really gone.
        () => miss(steward, res, next, cache, key),
      );
      return;
    }
    miss(steward, res, next, cache, key);
  };
}

/** Renders normally, capturing the answer so that it can be stored if its loader allowed it. */
function miss(steward: StewardContext, res: Response, next: NextFunction, cache: PageCache, key: string) {
  cache.stats.misses++;
  steward.metrics.inc("steward_page_cache_requests_total", "Signed-in page requests by page cache result.", { result: "miss" });
  const generation = cache.currentGeneration;
  const slot: PageCacheSlot = { cacheable: false };
  res.locals.pageCache = slot;
  res.setHeader("X-Page-Cache", "miss");
  const chunks: Buffer[] = [];
  const write = res.write;
  const end = res.end;
  const keep = (chunk: unknown, encoding?: unknown) => {
    // Loaders have run before the first byte is written: a page they did not allow is not worth copying.
    if (!slot.cacheable || chunk === undefined || chunk === null || typeof chunk === "function") return;
    chunks.push(typeof chunk === "string" ? Buffer.from(chunk, typeof encoding === "string" ? (encoding as BufferEncoding) : "utf8") : Buffer.from(chunk as Uint8Array));
  };
  res.write = function (this: Response, chunk: unknown, ...rest: unknown[]) {
    keep(chunk, rest[0]);
    return (write as (...a: unknown[]) => boolean).call(this, chunk, ...rest);
  } as Response["write"];
  res.end = function (this: Response, chunk?: unknown, ...rest: unknown[]) {
    keep(chunk, rest[0]);
    return (end as (...a: unknown[]) => Response).call(this, chunk, ...rest);
  } as Response["end"];
  res.on("finish", () => {
    if (!slot.cacheable || res.statusCode !== 200 || res.getHeader("set-cookie") !== undefined) return;
    if (!String(res.getHeader("content-type") ?? "").startsWith("text/html")) return;
    const nonce = res.locals.cspNonce as string;
    const headers: Array<[string, string]> = [];
    for (const [name, value] of Object.entries(res.getHeaders())) {
      if (PER_RESPONSE_HEADERS.has(name) || value === undefined) continue;
      const text = Array.isArray(value) ? value.join(", ") : String(value);
      headers.push([name, text.replaceAll(nonce, NONCE_MARK)]);
    }
    cache.store(key, generation, { status: 200, headers, parts: splitAtNonce(Buffer.concat(chunks), nonce) });
  });
  next();
}

/**
 * Express guards in front of Remix (issue 19): a size limit on request bodies, enforced before anything parses
 * them, and the metrics label of a request (its Remix route id, so random paths cannot grow /metrics).
 */
import { Readable } from "node:stream";
import type { NextFunction, Request, Response } from "express";
import { matchRoutes, type AgnosticRouteObject } from "@remix-run/router";
import type { ServerBuild } from "@remix-run/node";

/** Forms are a few KB; 64 KB leaves room for the largest (a page of selected users) and bounds memory per request. */
export const MAX_BODY_BYTES = 64 * 1024;

const BODYLESS = new Set(["GET", "HEAD", "OPTIONS"]);

/** The properties of the request that are its body stream: the stand-in for Remix takes them from the buffer. */
const STREAM_PROPS = new Set<PropertyKey>([
  "on",
  "once",
  "off",
  "addListener",
  "removeListener",
  "removeAllListeners",
  "emit",
  "pause",
  "resume",
  "isPaused",
  "read",
  "pipe",
  "unpipe",
  "destroy",
  "destroyed",
  "readable",
  "readableEnded",
  "readableHighWaterMark",
  "readableFlowing",
  Symbol.asyncIterator,
]);

function tooLarge(req: Request, res: Response) {
  if (res.headersSent) return;
  res.setHeader("Connection", "close");
  res.status(413).type("text/plain").send(`This request is too large (the limit is ${MAX_BODY_BYTES / 1024} KB).`);
  // Stop reading the rest: the connection closes once the answer is out.
  res.on("finish", () => req.destroy());
}

/**
 * Refuses a body over `maxBytes` with 413: at once when `Content-Length` says so, otherwise (chunked, or a length
 * that lies) as soon as the bytes received pass it. A body within the limit is read here and handed to Remix from
 * memory (res.locals.bodyRequest), so nothing downstream ever reads more than `maxBytes` from the socket.
 */
export function bodyLimit(maxBytes = MAX_BODY_BYTES) {
  return (req: Request, res: Response, next: NextFunction) => {
    if (BODYLESS.has(req.method)) return next();
    const declared = req.headers["content-length"];
    if (declared !== undefined && !(Number(declared) <= maxBytes)) return tooLarge(req, res);
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    req.on("data", (chunk: Buffer) => {
      if (settled) return;
      size += chunk.length;
      if (size > maxBytes) {
        settled = true;
        chunks.length = 0;
        req.pause();
        return tooLarge(req, res);
      }
      chunks.push(chunk);
    });
    req.once("error", () => {
      settled = true;
    });
    req.once("end", () => {
      if (settled) return;
      settled = true;
      const body = Readable.from(chunks.length ? [Buffer.concat(chunks)] : []);
      res.locals.bodyRequest = new Proxy(req, {
        get(target, prop) {
          if (STREAM_PROPS.has(prop)) {
            const v = Reflect.get(body, prop, body);
            return typeof v === "function" ? v.bind(body) : v;
          }
          return Reflect.get(target, prop, target);
        },
      });
      next();
    });
  };
}

/** The metrics label of a path: the id of the Remix route it reaches, `assets` for built files, `other` otherwise. */
export function routeLabeler(build: ServerBuild): (path: string) => string {
  const routes = Object.values(build.routes);
  const tree = (parentId: string | undefined): AgnosticRouteObject[] =>
    routes
      .filter((r) => r.parentId === parentId)
      .map((r) => {
        const children = r.index ? [] : tree(r.id);
        return (r.index
          ? { id: r.id, index: true, path: r.path, caseSensitive: r.caseSensitive }
          : { id: r.id, path: r.path, caseSensitive: r.caseSensitive, ...(children.length ? { children } : {}) }) as AgnosticRouteObject;
      });
  const root = tree(undefined);
  const known = new Map<string, string>();
  return (path: string) => {
    if (path.startsWith("/build/")) return "assets";
    const hit = known.get(path);
    if (hit) return hit;
    let label = "other";
    try {
      const matches = matchRoutes(root, path);
      const last = matches?.[matches.length - 1]?.route.id;
      if (last && last !== "root") label = last;
    } catch {
      // A path the router cannot read is nobody's route.
    }
    // Remember only a bounded number of paths (ids in paths make them unbounded).
    if (known.size < 1000) known.set(path, label);
    return label;
  };
}

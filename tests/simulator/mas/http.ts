// The MAS simulator's HTTP layer: routing on exact paths with `:id` segments, faults and latency (the same switches as
// the Synapse simulator), cookies, form and JSON bodies, and a request log. Each area registers routes here.
import http, { type IncomingMessage, type ServerResponse } from "node:http";
import type { Socket } from "node:net";
import type { Fault, FaultKind, RequestLogEntry, SimClock } from "../types";
import type { MasState } from "./state";

export interface MasContext {
  state: MasState;
  clock: SimClock;
  /** Base URL once listening (`http.public_base`, also the issuer). */
  url: string;
  latencyMs: number;
  /** Synapse hooks (provisioning, device sync): set by index.ts. */
  hooks: MasHooks;
}

export interface MasHooks {
  provisionUser(localpart: string, displayname: string | null): void;
  syncLocked(localpart: string, locked: boolean): void;
  deleteUser(localpart: string, erase: boolean): void;
  reactivateUser(localpart: string): void;
  upsertDevice(localpart: string, deviceId: string): void;
  removeDevice(localpart: string, deviceId: string): void;
  isLocalpartAvailable(localpart: string): boolean;
}

export interface Req {
  mas: MasContext;
  now: number;
  method: string;
  /** Raw pathname. */
  path: string;
  params: Record<string, string>;
  query: URLSearchParams;
  /** The raw query string (for `page[first]` and friends, which URLSearchParams reads fine too). */
  rawQuery: string;
  headers: IncomingMessage["headers"];
  ip: string;
  body: Buffer;
  cookies: Record<string, string>;
  form(): URLSearchParams;
}

export class Res {
  constructor(
    readonly status: number,
    readonly body: string,
    readonly headers: Record<string, string> = {},
  ) {}
  static json(status: number, body: unknown, headers: Record<string, string> = {}): Res {
    return new Res(status, JSON.stringify(body), { "Content-Type": "application/json", ...headers });
  }
  static html(status: number, body: string, headers: Record<string, string> = {}): Res {
    return new Res(status, body, { "Content-Type": "text/html; charset=utf-8", ...headers });
  }
  static redirect(location: string, headers: Record<string, string> = {}): Res {
    return new Res(303, "", { Location: location, ...headers });
  }
  static empty(status: number): Res {
    return new Res(status, "");
  }
}

export type MasHandler = (req: Req) => Res | Promise<Res>;

interface Route {
  method: string;
  segments: string[];
  handler: MasHandler;
}

export class MasRouter {
  readonly routes: Route[] = [];
  add(method: string, path: string, handler: MasHandler): void {
    this.routes.push({ method, segments: path.split("/"), handler });
  }
  match(method: string, path: string): { route: Route; params: Record<string, string> } | "not_found" | "method" {
    const parts = path.split("/");
    let known = false;
    for (const r of this.routes) {
      if (r.segments.length !== parts.length) continue;
      const params: Record<string, string> = {};
      let ok = true;
      for (let i = 0; i < parts.length && ok; i++) {
        const seg = r.segments[i];
        if (seg.startsWith(":")) {
          try {
            params[seg.slice(1)] = decodeURIComponent(parts[i]);
          } catch {
            ok = false;
          }
        } else ok = seg === parts[i];
      }
      if (!ok) continue;
      known = true;
      if (r.method === method) return { route: r, params };
    }
    return known ? "method" : "not_found";
  }
}

interface ActiveFault extends Fault {
  remaining: number;
}

export interface MasServer {
  server: http.Server;
  faults: ActiveFault[];
  requestLog: RequestLogEntry[];
  close(): Promise<void>;
}

export function createMasServer(mas: MasContext, router: MasRouter): MasServer {
  const faults: ActiveFault[] = [];
  const requestLog: RequestLogEntry[] = [];
  const sockets = new Set<Socket>();
  const server = http.createServer((req, res) => {
    handle(req, res).catch((err) => {
      console.error("mas simulator: unhandled error", err);
      if (!res.headersSent) send(res, Res.json(500, { errors: [{ title: "Internal server error" }] }));
    });
  });
  server.on("connection", (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = Date.now();
    const method = req.method ?? "GET";
    const url = new URL(req.url ?? "/", "http://mas.invalid");
    const path = url.pathname;
    const entry: RequestLogEntry = { method, path, query: url.search.slice(1), status: 0, ms: 0 };
    requestLog.push(entry);
    res.on("finish", () => {
      entry.status = res.statusCode;
      entry.ms = Date.now() - started;
    });
    const fault = takeFault(faults, method, path);
    if (fault) entry.fault = fault;
    if (fault === "drop") return void req.socket.destroy();
    if (fault === "timeout") return;
    if (mas.latencyMs > 0) await new Promise((r) => setTimeout(r, mas.latencyMs));
    if (fault) return send(res, faultResponse(fault, path));
    if (method === "OPTIONS") {
      res.writeHead(204, { "Access-Control-Allow-Origin": "*", "Access-Control-Allow-Headers": "*" }).end();
      return;
    }
    const m = router.match(method, path);
    if (m === "not_found") return send(res, new Res(404, "Not Found", { "Content-Type": "text/plain; charset=utf-8" }));
    if (m === "method") return send(res, new Res(405, "", {}));
    const body = await readBody(req);
    const r: Req = {
      mas,
      now: mas.clock.now(),
      method,
      path,
      params: m.params,
      query: url.searchParams,
      rawQuery: url.search.slice(1),
      headers: req.headers,
      ip: (req.socket.remoteAddress ?? "").replace(/^::ffff:/, ""),
      body,
      cookies: parseCookies(req.headers.cookie),
      form: () => new URLSearchParams(body.toString("utf8")),
    };
    send(res, await m.route.handler(r));
  }

  return {
    server,
    faults,
    requestLog,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      }),
  };
}

function faultResponse(kind: FaultKind, path: string): Res {
  const admin = path.startsWith("/api/");
  if (kind === "status500") {
    return admin ? Res.json(500, { errors: [{ title: "Internal server error" }] }) : Res.json(500, { error: "server_error" });
  }
  if (kind === "status429") return new Res(429, "Too Many Requests", { "Content-Type": "text/plain", "Retry-After": "1" });
  if (kind === "garbage") return new Res(200, '{"data": [{"ty', { "Content-Type": "application/json" });
  return Res.html(404, "<html><head><title>404 Not Found</title></head><body><center><h1>404 Not Found</h1></center></body></html>");
}

function takeFault(faults: ActiveFault[], method: string, path: string): FaultKind | undefined {
  const i = faults.findIndex(
    (f) => (!f.method || f.method.toUpperCase() === method) && (typeof f.path === "string" ? path.startsWith(f.path) : f.path.test(path)),
  );
  if (i < 0) return undefined;
  const f = faults[i];
  if (--f.remaining <= 0) faults.splice(i, 1);
  return f.kind;
}

function send(res: ServerResponse, r: Res): void {
  res.writeHead(r.status, { ...r.headers, "Content-Length": Buffer.byteLength(r.body) }).end(r.body);
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

function parseCookies(header: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (header ?? "").split(";")) {
    const i = part.indexOf("=");
    if (i > 0) out[part.slice(0, i).trim()] = decodeURIComponent(part.slice(i + 1).trim());
  }
  return out;
}

export const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);

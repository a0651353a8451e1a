// The HTTP layer: CORS, faults, latency, routing (404/405 before auth, as Synapse), access-token auth,
// JSON responses and the request log. API behaviour lives in routes/*.ts.
import http, { type IncomingMessage, type ServerResponse } from "node:http";
import type { Socket } from "node:net";
import { performance } from "node:perf_hooks";
import { errors, MatrixError, PROXY_404_HTML, TWISTED_404_HTML } from "./errors";
import { Reply, Router, type Requester, type RouteContext, type RouteDef, type SimContext } from "./router";
import { recordConnection } from "./state";
import type { Fault, FaultKind, RequestLogEntry } from "./types";
import { registerAll } from "./routes";
import { authenticateDelegated } from "./delegated-auth";

// What Synapse's set_cors_headers sends on every JSON resource (admin included).
const CORS_HEADERS: Record<string, string> = {
  "Access-Control-Allow-Origin": "*",
  "Access-Control-Allow-Methods": "GET, HEAD, POST, PUT, DELETE, OPTIONS",
  "Access-Control-Allow-Headers": "X-Requested-With, Content-Type, Authorization, Date",
  "Access-Control-Expose-Headers": "Synapse-Trace-Id, Server",
};

/** Prefixes served by Synapse's JSON resources: unknown paths under them are JSON 404 M_UNRECOGNIZED. */
const JSON_PREFIXES = ["/_matrix/", "/_synapse/"];

interface ActiveFault extends Fault {
  remaining: number;
}

export interface SimServer {
  server: http.Server;
  faults: ActiveFault[];
  requestLog: RequestLogEntry[];
  close(): Promise<void>;
}

export function createSimServer(sim: SimContext): SimServer {
  const router = new Router({ mas: sim.options.mas });
  registerAll(router);
  const faults: ActiveFault[] = [];
  const requestLog: RequestLogEntry[] = [];
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        timers.delete(t);
        resolve();
      }, ms);
      timers.add(t);
    });

  const server = http.createServer((req, res) => {
    handle(req, res).catch((err) => {
      // Only reachable on a bug in the pipeline itself; still answer like Synapse's catch-all.
      console.error("simulator: unhandled error", err);
      if (!res.headersSent) sendJson(res, 500, errors.internal().toJSON());
    });
  });
  server.on("connection", (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    const method = req.method ?? "GET";
    const url = new URL(req.url ?? "/", "http://simulator.invalid");
    const path = req.url?.split("?")[0] ?? "/";
    const entry: RequestLogEntry = { method, path, query: url.search.slice(1), status: 0, ms: 0 };
    requestLog.push(entry);
    res.on("finish", () => {
      entry.status = res.statusCode;
      entry.ms = performance.now() - started;
    });

    const fault = takeFault(faults, method, path, entry.query);
    if (fault) entry.fault = fault;
    if (fault === "drop") {
      req.socket.destroy();
      return;
    }
    if (fault === "timeout") return; // never answered; close() destroys the socket
    if (sim.options.latencyMs > 0) await sleep(sim.options.latencyMs);
    if (fault) return sendFault(res, fault);

    if (method === "OPTIONS") {
      res.writeHead(204, CORS_HEADERS).end();
      return;
    }

    const match = router.match(method, path);
    if (match.kind !== "ok") {
      if (!JSON_PREFIXES.some((p) => path.startsWith(p))) {
        res.writeHead(404, { "Content-Type": "text/html; charset=utf-8" }).end(TWISTED_404_HTML);
        return;
      }
      const err = match.kind === "not_found" ? errors.unrecognized() : errors.methodNotAllowed();
      return sendError(res, err);
    }

    const rawBody = await readBody(req);
    const ctx: RouteContext = {
      sim,
      state: sim.state,
      now: sim.clock.now(),
      method,
      path,
      params: match.params,
      query: url.searchParams,
      headers: req.headers,
      ip: clientIp(req),
      requester: null,
      rawBody,
      json: () => parseJsonObject(rawBody),
    };
    try {
      ctx.requester = authenticate(sim, match.route, ctx);
      const result = await match.route.handler(ctx);
      if (result instanceof Reply) sendReply(res, result);
      else sendJson(res, 200, result);
    } catch (err) {
      if (err instanceof MatrixError) return sendError(res, err);
      console.error(`simulator: handler for ${method} ${path} threw`, err);
      sendError(res, errors.internal());
    }
  }

  return {
    server,
    faults,
    requestLog,
    close: () =>
      new Promise<void>((resolve) => {
        for (const t of timers) clearTimeout(t);
        timers.clear();
        server.close(() => resolve());
        // Hung (timeout fault) and keep-alive sockets would otherwise keep close() waiting forever.
        for (const s of sockets) s.destroy();
      }),
  };
}

function takeFault(faults: ActiveFault[], method: string, path: string, query: string): FaultKind | undefined {
  const i = faults.findIndex(
    (f) =>
      (!f.method || f.method.toUpperCase() === method) &&
      (typeof f.path === "string" ? path.startsWith(f.path) : f.path.test(path)) &&
      (!f.query || f.query.test(query)),
  );
  if (i < 0) return undefined;
  const f = faults[i];
  if (--f.remaining <= 0) faults.splice(i, 1);
  return f.kind;
}

function sendFault(res: ServerResponse, kind: FaultKind): void {
  if (kind === "status500") return sendError(res, errors.internal());
  if (kind === "status429") return sendError(res, errors.limitExceeded(200));
  if (kind === "garbage") {
    res.writeHead(200, { ...CORS_HEADERS, "Content-Type": "application/json" }).end('{"users": [{"name": "@tru');
    return;
  }
  // html404: a proxy that does not forward the path.
  res.writeHead(404, { "Content-Type": "text/html" }).end(PROXY_404_HTML);
}

/**
 * Synapse's get_access_token_from_request + get_user_by_req: the header or `access_token` (not both),
 * unknown/expired tokens, locked accounts, the admin check; records the request in user_ips.
 */
function authenticate(sim: SimContext, route: RouteDef, ctx: RouteContext): Requester | null {
  if (route.auth === "none") return null;
  const header = ctx.headers.authorization;
  const queryToken = ctx.query.get("access_token");
  let tokenString: string;
  if (header !== undefined) {
    if (queryToken !== null) throw errors.missingToken();
    const parts = header.split(" ");
    if (parts.length !== 2 || parts[0] !== "Bearer") throw errors.missingToken();
    tokenString = parts[1];
  } else {
    if (!queryToken) throw errors.missingToken();
    tokenString = queryToken;
  }
  if (sim.options.mas) return authenticateDelegated(sim, route, ctx, tokenString);
  const token = sim.state.tokens.get(tokenString);
  const user = token ? sim.state.users.get(token.user_id) : undefined;
  if (!token || !user || user.deactivated) throw errors.unknownToken(false);
  if (token.valid_until_ms !== null && token.valid_until_ms <= ctx.now) throw errors.unknownToken(true);
  recordConnection(sim.state, token, ctx.ip, String(ctx.headers["user-agent"] ?? ""), ctx.now);
  if (user.locked && !route.allowLocked) throw errors.userLocked();
  if (route.auth === "admin" && !user.admin) throw errors.notAdmin();
  return { user, token };
}

function parseJsonObject(raw: Buffer): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(raw.toString("utf8"));
  } catch {
    throw errors.notJson();
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw errors.badJson("Content must be a JSON object.");
  }
  return value as Record<string, unknown>;
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

function clientIp(req: IncomingMessage): string {
  const ip = req.socket.remoteAddress ?? "";
  return ip.startsWith("::ffff:") ? ip.slice(7) : ip;
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res
    .writeHead(status, {
      ...CORS_HEADERS,
      ...headers,
      "Content-Type": "application/json",
      "Content-Length": Buffer.byteLength(text),
    })
    .end(text);
}

function sendError(res: ServerResponse, err: MatrixError): void {
  sendJson(res, err.status, err.toJSON(), err.headers);
}

function sendReply(res: ServerResponse, r: Reply): void {
  if (r.contentType === undefined) return sendJson(res, r.status, r.body, r.headers);
  res.writeHead(r.status, { ...CORS_HEADERS, ...r.headers, "Content-Type": r.contentType }).end(String(r.body));
}

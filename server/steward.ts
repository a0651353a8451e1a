/**
 * Starts Steward: opens and migrates the database, builds the app context, serves the Remix build with
 * Express, and shuts down cleanly (stop accepting, finish requests in flight, stop collectors, close the
 * database). Used by server.ts (production), scripts/demo.ts and the integration/browser tests.
 */
import crypto from "node:crypto";
import http from "node:http";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import express from "express";
import compression from "compression";
import { readStylesheets } from "./stylesheets";
import { precompressedAssets } from "./precompressed";
import { createRequestHandler } from "@remix-run/express";
import type { ServerBuild } from "@remix-run/node";
import { openDatabase, timingStorage, type Database, type DataChangeFeed, type TimingStore } from "../db/client";
import { databaseOptions, type Config } from "../app/config.server";
import { createStewardContext, type StewardContext } from "../app/context.server";
import { createLogger, type Logger } from "../app/services/observability/log.server";
import { MetricsRegistry } from "../app/services/observability/metrics.server";
import { originAllowed } from "../app/services/auth/origin.server";
import { PageCache } from "../app/services/page-cache/cache.server";
import { cspNonceMiddleware, pageCacheMiddleware } from "./page-cache";
import { CountMemo } from "../app/services/lists/count-memo.server";
import { bodyLimit, routeLabeler } from "./request-guards";
import { purgeRateLimits } from "../app/services/auth/rate-limit.server";
import { purgeExpiredSessions } from "../app/services/auth/session-end.server";
import { sessionEndDeps } from "../app/services/auth/guard.server";
import { bindHomeserver } from "../app/services/auth/homeserver-binding.server";
import { clientAddressKey } from "../app/services/auth/client-address";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

export interface StartOptions {
  config: Config;
  /** An already open database (tests); otherwise one is opened from the config. */
  database?: Database;
  logger?: Logger;
  /** Hook to attach background work once the context exists (collectors). Returns a stop function. */
  attach?: (ctx: StewardContext) => Promise<(() => Promise<void>) | void> | (() => Promise<void>) | void;
  /** How often housekeeping runs (tests shorten it); 5 minutes by default. */
  housekeepingEveryMs?: number;
}

export interface RunningSteward {
  url: string;
  port: number;
  context: StewardContext;
  close(): Promise<void>;
}

async function loadBuild(): Promise<ServerBuild> {
  const buildPath = path.join(ROOT, "build", "index.js");
  try {
    return (await import(pathToFileURL(buildPath).href)) as ServerBuild;
  } catch (e) {
    throw new Error(`Steward's build is missing or broken (${buildPath}); run "npm run build" first. ${(e as Error).message}`);
  }
}

export async function startSteward(opts: StartOptions): Promise<RunningSteward> {
  const { config } = opts;
  const log = opts.logger ?? createLogger(config.logLevel, { service: "steward" });
  // Loading the Remix build and opening the database are independent and both take a while: do them together.
  const ownsDatabase = !opts.database;
  const [buildResult, databaseResult] = await Promise.allSettled([
    loadBuild(),
    opts.database ? Promise.resolve(opts.database) : openDatabase(databaseOptions(config)),
  ]);
  if (buildResult.status === "rejected") {
    if (ownsDatabase && databaseResult.status === "fulfilled") await databaseResult.value.close();
    throw buildResult.reason;
  }
  if (databaseResult.status === "rejected") throw databaseResult.reason;
  const build = buildResult.value;
  const database = databaseResult.value;
  let migrated: Awaited<ReturnType<Database["migrate"]>>;
  try {
    migrated = await database.migrate();
  } catch (e) {
    if (ownsDatabase) await database.close();
    throw e;
  }
  if (!migrated.searchIndex.ready)
    log.warn("the users list's search scans every stored user: the pg_trgm extension or its index could not be created", { reason: migrated.searchIndex.reason });
  const metrics = new MetricsRegistry();
  const context = createStewardContext(config, database, log, metrics);
  context.stylesheets = readStylesheets(path.join(ROOT, "public"));
  try {
    // Steward manages one homeserver: a changed HOMESERVER_URL ends every session of the previous one (decision 019).
    const binding = await bindHomeserver(database.db, config.homeserverUrl);
    context.homeserverBinding = binding;
    if (binding.changed)
      log.warn("HOMESERVER_URL changed: every session of the previous homeserver has ended; the stored history belongs to it", {
        previous: binding.previousUrl,
        homeserver: config.homeserverUrl,
      });
  } catch (e) {
    if (ownsDatabase) await database.close();
    throw e;
  }
  if (config.nodeEnv === "production" && !config.metricsToken)
    log.warn("/metrics is public: anyone who can reach Steward can read it. Set METRICS_TOKEN to require a bearer token.", { setting: "METRICS_TOKEN" });
  const pageCache = await startPageCache(context);

  const app = express();
  app.disable("x-powered-by");
  // A hop count or the proxies' addresses (config.server.ts), never "everyone".
  app.set("trust proxy", config.trustProxy);
  const trustsPeer = app.get("trust proxy fn") as (address: string, hop: number) => boolean;
  const proxyTrusted = (req: express.Request) => config.trustProxy !== false && trustsPeer(req.socket.remoteAddress ?? "", 0);
  const routeLabel = routeLabeler(build);
  app.use(compression());
  // The build's scripts and stylesheets compressed once at build time (decision 037), else as they are.
  const buildDir = path.join(ROOT, "public", "build");
  const buildCaching = { immutable: true, maxAge: "1y" };
  app.use("/build", precompressedAssets(buildDir, buildCaching));
  app.use("/build", express.static(buildDir, buildCaching));
  // Files in public/ all have an extension; asking the disk about every page path (a stat per request) was a
  // visible share of serving a stored page.
  const publicFiles = express.static(path.join(ROOT, "public"), { maxAge: "1h", index: false });
  app.use((req, res, next) => (path.extname(req.path) ? publicFiles(req, res, next) : next()));
  // Browsers ask for /favicon.ico whatever the page says; answer with the real icon rather than a Remix 404.
  app.get("/favicon.ico", (_req, res) => res.redirect(301, "/favicon.png"));

  let inFlight = 0;
  app.use((req, res, next) => {
    const requestId = (req.get("x-request-id") || "").slice(0, 64).replace(/[^\w.-]/g, "") || crypto.randomUUID();
    res.locals.requestId = requestId;
    res.setHeader("X-Request-Id", requestId);
    const started = performance.now();
    inFlight++;
    res.on("close", () => {
      inFlight--;
      const ms = performance.now() - started;
      const route = routeLabel(req.path);
      metrics.observe("steward_http_request_duration_seconds", "Duration of Steward's HTTP responses.", { route, method: req.method, status: String(res.statusCode) }, ms / 1000);
      const cache = res.getHeader("x-page-cache");
      log.info("request", { requestId, method: req.method, path: req.path, status: res.statusCode, ms: Math.round(ms), ...(cache ? { cache } : {}) });
    });
    const store: TimingStore = { dbMs: 0, hsMs: 0 };
    res.locals.timing = store;
    timingStorage.run(store, () => next());
  });

  // A cross-site form post is refused here with a plain 403. Remix refuses it too, but by throwing (a 500 page and
  // an error log for every attack); this middleware refuses exactly what Remix or requireCsrf would refuse.
  app.use((req, res, next) => {
    if (req.method === "GET" || req.method === "HEAD" || req.method === "OPTIONS") return next();
    if (originAllowed((name) => req.get(name), proxyTrusted(req))) return next();
    res.status(403).type("text/plain").send("Cross-site request refused.");
  });

  // Bodies over the limit are refused before Remix (or anything else) reads them.
  app.use(bodyLimit());

  app.use(cspNonceMiddleware);
  if (pageCache) app.use(pageCacheMiddleware(context, pageCache.cache, pageCache.feed));

  const remix = createRequestHandler({
      build,
      mode: config.nodeEnv === "production" ? "production" : "development",
      getLoadContext: (req, res) => ({
        steward: context,
        requestId: res.locals.requestId as string,
        timing: res.locals.timing as TimingStore,
        secure: req.secure,
        clientIp: clientAddressKey(req.ip ?? req.socket.remoteAddress),
        proxyTrusted: proxyTrusted(req),
        cspNonce: res.locals.cspNonce as string,
        pageCache: res.locals.pageCache,
      }),
  });
  // The body-limit guard hands over a stand-in whose body comes from memory.
  app.all("*", (req, res, next) => remix((res.locals.bodyRequest as express.Request | undefined) ?? req, res, next));

  const attached = await opts.attach?.(context);
  const housekeeping = startHousekeeping(context, opts.housekeepingEveryMs);
  const server = http.createServer(app);
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(config.port, config.host, () => resolve());
  });
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : config.port;
  const host = config.host === "0.0.0.0" || config.host === "::" ? "localhost" : config.host;
  const url = `http://${host.includes(":") ? `[${host}]` : host}:${port}`;

  let closing: Promise<void> | undefined;
  return {
    url,
    port,
    context,
    close() {
      closing ??= (async () => {
        context.shuttingDown = true;
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        // Requests in flight get up to 10 s to finish; then the remaining connections are cut.
        const deadline = Date.now() + 10_000;
        while (inFlight > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
        server.closeAllConnections();
        await closed;
        await housekeeping.stop();
        if (typeof attached === "function") await attached();
        if (ownsDatabase) await database.close();
      })();
      return closing;
    },
  };
}

/**
 * The rendered-page cache (decision 010), fed by the database's change notifications. Without a live feed it
 * serves nothing; when the feed cannot start at all, the server runs without it rather than not at all.
 */
async function startPageCache(context: StewardContext): Promise<{ cache: PageCache; feed: DataChangeFeed } | undefined> {
  const seconds = context.config.pageCacheSeconds;
  if (seconds <= 0) return undefined;
  const cache = new PageCache({ ttlMs: seconds * 1000, maxBytes: 64 * 1024 * 1024 });
  let feed: DataChangeFeed;
  try {
    feed = await context.database.watchDataChanges();
    cache.setLive(feed.live);
    // Every change, and every drop or return of the feed, empties the store; setLive does both.
    feed.subscribe(() => cache.setLive(feed.live));
  } catch (e) {
    context.log.warn("page cache off: the database's change notifications are unavailable", { error: (e as Error).message });
    return undefined;
  }
  context.metrics.gauge("steward_page_cache_entries", "Rendered pages held by the page cache.", async () => [{ labels: {}, value: cache.size }]);
  context.pageCache = cache;
  // Counts outlive pages (which show times computed at render): they change only with the data.
  context.countMemo = new CountMemo(feed, { maxAgeMs: 5 * 60_000 });
  return { cache, feed };
}

/**
 * Periodic clean-up of what requests leave behind: spent rate-limit counters (each address that hit a limit left
 * a row) and expired sessions, whose tokens are logged out on the homeserver first (decision 021: that deletes the
 * device each password sign-in created). One timer: every 5 minutes, and once shortly after start. A run still
 * going when the next is due is not doubled; shutdown waits for it.
 */
function startHousekeeping(context: StewardContext, everyMs = 5 * 60_000): { stop(): Promise<void> } {
  let running: Promise<void> | undefined;
  let stopped = false;
  const run = async () => {
    try {
      const purged = await purgeRateLimits(context.db);
      if (purged) context.log.debug("rate limit counters purged", { purged });
    } catch (e) {
      context.log.warn("housekeeping: purging rate limit counters failed", { error: (e as Error).message });
    }
    try {
      const ended = await purgeExpiredSessions(sessionEndDeps(context), new Date(), () => stopped);
      if (ended) context.log.info("expired sessions ended", { ended });
    } catch (e) {
      context.log.warn("housekeeping: ending expired sessions failed", { error: (e as Error).message });
    }
  };
  const tick = () => {
    if (stopped || running) return;
    running = run().finally(() => (running = undefined));
  };
  const first = setTimeout(tick, Math.min(5_000, everyMs));
  const every = setInterval(tick, everyMs);
  first.unref();
  every.unref();
  return {
    async stop() {
      stopped = true;
      clearTimeout(first);
      clearInterval(every);
      await running;
    },
  };
}

/**
 * The app context: everything a loader or action needs from the process (config, database, logger, metrics,
 * homeserver factory). server.ts builds it once and hands it to Remix as `context.steward`; routes never reach
 * for module-level singletons, because server.ts and the Remix bundle hold separate copies of every module.
 */
import type { Config } from "./config.server";
import type { Database, Db, TimingStore } from "../db/client";
import { timingStorage } from "../db/client";
import type { Logger } from "./services/observability/log.server";
import type { MetricsRegistry } from "./services/observability/metrics.server";
import { createHomeserverClient, type HomeserverClient } from "./homeserver/index";
import type { HomeserverBinding } from "./services/auth/homeserver-binding.server";
import type { PageCache, PageCacheSlot } from "./services/page-cache/cache.server";
import type { CountMemo } from "./services/lists/count-memo.server";

/** Background work (collectors) the web layer can start and observe; set by server.ts when collectors exist. */
export interface CollectorControl {
  /** Starts a run of the named collector now (if none is running); returns its run id or null. */
  trigger(name: string, actor: string): Promise<number | null>;
  /** The collectors this process runs: name and human title. */
  list(): { name: string; title: string }[];
}

export interface StewardContext {
  config: Config;
  database: Database;
  db: Db;
  log: Logger;
  metrics: MetricsRegistry;
  startedAt: Date;
  /** A homeserver client whose calls count towards Server-Timing and the homeserver metrics. */
  homeserver(baseUrl: string, accessToken?: string, opts?: { timeoutMs?: number; maxRetries?: number }): HomeserverClient;
  /**
   * When each session's token was last confirmed as an admin's by the homeserver (per process; see
   * auth/guard.server.ts). Keyed by session id hash.
   */
  sessionChecks: Map<string, number>;
  /** Logouts of ended sessions in flight, by account and device (auth/session-end.server.ts). */
  endingSessions: Map<string, Promise<unknown>>;
  collectors?: CollectorControl;
  /** Bulk user jobs (decision 020): `kick()` starts waiting jobs now instead of at the next poll. */
  bulkJobs?: { kick(): void };
  /** Rendered pages kept until page data changes (decision 010); absent when the server runs without it. */
  pageCache?: PageCache;
  /** Counts of stored lists kept until page data changes (decision 027); absent without the change feed. */
  countMemo?: CountMemo;
  /** The homeserver the stored data belongs to, and the previous one if HOMESERVER_URL changed (set at start). */
  homeserverBinding?: HomeserverBinding;
  /** The built stylesheets' text by URL, which pages carry inline (decision 035); pages link them when absent. */
  stylesheets?: ReadonlyMap<string, string>;
  /** Set when the process is shutting down (readiness goes false). */
  shuttingDown: boolean;
}

declare module "@remix-run/node" {
  interface AppLoadContext {
    steward: StewardContext;
    requestId: string;
    timing: TimingStore;
    /** True when the request arrived over https (directly or, with TRUST_PROXY, via the proxy). */
    secure: boolean;
    /** The client's address as rate limits key it: IPv4, or an IPv6 client's /64 (auth/client-address.ts). */
    clientIp: string;
    /** True when the request came from a trusted proxy (TRUST_PROXY), so its X-Forwarded-Host/Proto count. */
    proxyTrusted: boolean;
    /** This response's Content-Security-Policy nonce (made per request, before the page cache looks). */
    cspNonce?: string;
    /** Present when this request's page may be stored by the page cache; loaders mark it (allowPageCache). */
    pageCache?: PageCacheSlot;
  }
}

export function createStewardContext(config: Config, database: Database, log: Logger, metrics: MetricsRegistry): StewardContext {
  return {
    config,
    database,
    db: database.db,
    log,
    metrics,
    startedAt: new Date(),
    shuttingDown: false,
    sessionChecks: new Map(),
    endingSessions: new Map(),
    homeserver(baseUrl, accessToken, opts) {
      return createHomeserverClient({
        baseUrl,
        accessToken,
        timeoutMs: opts?.timeoutMs ?? config.homeserverTimeoutMs,
        maxRetries: opts?.maxRetries,
        onRequest: (e) => {
          const store = timingStorage.getStore();
          if (store) store.hsMs += e.durationMs;
          metrics.observe(
            "steward_homeserver_request_duration_seconds",
            "Duration of requests to the homeserver, by endpoint and status.",
            { method: e.method, endpoint: e.endpoint, status: String(e.status) },
            e.durationMs / 1000,
          );
        },
      });
    },
  };
}

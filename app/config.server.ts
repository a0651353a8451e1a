/**
 * Configuration from environment variables, validated once at start. Each problem gets its own plain message,
 * and all problems are reported together so an operator fixes them in one go.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import type { OpenDatabaseOptions } from "../db/client";
import { DEFAULT_PGLITE_SHARED_BUFFERS_MB } from "../db/pglite-memory";

export interface Config {
  nodeEnv: "production" | "development" | "test";
  /**
   * The one homeserver Steward manages (required): every session, the collectors' token and every stored row belong
   * to it (decision 019).
   */
  homeserverUrl: string;
  /** A dedicated admin token for background jobs (collectors); under MAS a personal access token. */
  homeserverAdminToken?: string;
  /** HOMESERVER_AUTH: how admins sign in — detected from the homeserver (auto), or forced (synapse | mas). */
  homeserverAuth: "auto" | "synapse" | "mas";
  databaseUrl?: string;
  dataDir: string;
  /** The embedded database's shared buffers, in MB (ignored with DATABASE_URL; decision 011). */
  pgliteSharedBuffersMb: number;
  sessionSecret: string;
  publicBaseUrl: string;
  port: number;
  host: string;
  /**
   * Which reverse proxies' X-Forwarded-Proto/For/Host are believed: Proto for Secure cookies, For for per-address
   * rate limits, Host for the same-origin check of form posts (app/services/auth/origin.server.ts). A hop count or
   * the proxies' addresses (CIDR), never "everyone" (the client writes X-Forwarded-For's left end).
   */
  trustProxy: TrustProxy;
  /** Bearer token required by /metrics when set. */
  metricsToken?: string;
  /** Serve the public /register pages. */
  publicRegistration: boolean;
  /** Who new users should message to say hi (shown on onboarding). */
  adminContact?: string;
  /** Session lifetimes. */
  sessionIdleMinutes: number;
  sessionMaxHours: number;
  /** How often a session's token is re-confirmed as an admin's with the homeserver. */
  sessionReverifySeconds: number;
  /** How long a rendered page may be served again while its data is unchanged (0 = no page cache; decision 010). */
  pageCacheSeconds: number;
  /** Homeserver request timeout. */
  homeserverTimeoutMs: number;
  /** Collector intervals, in seconds (0 disables the schedule; "refresh now" still works). */
  collectIntervals: Record<string, number>;
  /** Start the background collector loop in this process. */
  collectorsEnabled: boolean;
  logLevel: "debug" | "info" | "warn" | "error";
  /** Optional read-only connection to Synapse's own database (exact key-backup state). */
  synapseDatabaseUrl?: string;
  /** The security posture scan's knobs (POSTURE_*). */
  posture: PostureConfig;
  /** Where the federation self-check looks instead of the real server (STEWARD_SELF_CHECK_*; tests and development). */
  selfCheck: SelfCheckConfig;
}

/** false: no proxy; a number: that many proxies in front; a list: the proxies' addresses/CIDRs (Express's forms). */
export type TrustProxy = false | number | string[];

export interface PostureConfig {
  /** Homeserver requests in flight at once. */
  concurrency: number;
  /** Users per users-list page and per keys/query. */
  batchSize: number;
  /** A device not seen for this many days is stale. */
  staleDays: number;
  /** Exact backup state via short-lived login-as tokens (opt-in: it is impersonation, and every use is audited). */
  backupViaLoginAs: boolean;
  /** Users matching this are appservice users (the user list does not say). */
  appservicePattern: RegExp | null;
  /** An unfinished scan younger than this is resumed; older ones are abandoned. */
  resumeWithinMs: number;
}

/** What an unset POSTURE_* variable means (also what tests scan with). */
export const POSTURE_DEFAULTS: Readonly<PostureConfig> = Object.freeze({
  concurrency: 8,
  batchSize: 200,
  staleDays: 90,
  backupViaLoginAs: false,
  appservicePattern: null,
  resumeWithinMs: 24 * 3_600_000,
});

export interface SelfCheckConfig {
  /** Fetch the well-known files from this origin instead of https://<server name>. */
  wellKnownOrigin?: string;
  /** "http" speaks plain http to the federation address (the TLS check is skipped). */
  federationScheme: "https" | "http";
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Steward cannot start; fix the configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

type Env = Record<string, string | undefined>;

/**
 * A value quoted for a problem message: JSON-escaped so a newline cannot split one problem into several log
 * lines, credentials of URLs (database passwords) hidden, and capped in length.
 */
function shown(value: string | undefined): string {
  const v = (value ?? "").replace(/\/\/[^/@\s]*@/g, "//***@");
  return JSON.stringify(v.length > 100 ? `${v.slice(0, 100)}…` : v);
}

function parseUrl(name: string, value: string | undefined, problems: string[], protocols = ["http:", "https:"]) {
  if (value === undefined || value.trim() === "") return undefined;
  try {
    const u = new URL(value.trim());
    if (!protocols.includes(u.protocol)) {
      problems.push(`${name} must start with ${protocols.map((p) => p + "//").join(" or ")} (got ${shown(value)}).`);
      return undefined;
    }
    return value.trim().replace(/\/+$/, "");
  } catch {
    problems.push(`${name} is not a valid URL (got ${shown(value)}).`);
    return undefined;
  }
}

function parseInteger(name: string, value: string | undefined, fallback: number, min: number, max: number, problems: string[]) {
  if (value === undefined || value.trim() === "") return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) {
    problems.push(`${name} must be a whole number from ${min} to ${max} (got ${shown(value)}).`);
    return fallback;
  }
  return n;
}

function parseBool(name: string, value: string | undefined, fallback: boolean, problems: string[]) {
  if (value === undefined || value.trim() === "") return fallback;
  const v = value.trim().toLowerCase();
  if (["1", "true", "yes", "on"].includes(v)) return true;
  if (["0", "false", "no", "off"].includes(v)) return false;
  problems.push(`${name} must be true or false (got ${shown(value)}).`);
  return fallback;
}

const PROXY_NAMES = ["loopback", "linklocal", "uniquelocal"];

function validCidr(item: string): boolean {
  if (PROXY_NAMES.includes(item)) return true;
  const [address, prefix, extra] = item.split("/");
  const version = net.isIP(address ?? "");
  if (!version || extra !== undefined) return false;
  if (prefix === undefined) return true;
  const bits = Number(prefix);
  return /^\d{1,3}$/.test(prefix) && bits >= 0 && bits <= (version === 4 ? 32 : 128);
}

/** TRUST_PROXY: off, a hop count (1–10) or a comma-separated list of addresses/CIDRs. "true" is refused. */
function parseTrustProxy(value: string | undefined, problems: string[]): TrustProxy {
  const v = (value ?? "").trim().toLowerCase();
  if (["", "0", "false", "no", "off"].includes(v)) return false;
  if (["true", "yes", "on", "all", "*"].includes(v)) {
    problems.push(
      `TRUST_PROXY ${shown(value)} would believe X-Forwarded-For from anyone (every per-address limit could be bypassed); set the number of proxies in front of Steward (e.g. 1) or their addresses (e.g. 10.0.0.0/8 or loopback).`,
    );
    return false;
  }
  if (/^\d+$/.test(v)) {
    const hops = Number(v);
    if (hops >= 1 && hops <= 10) return hops;
    problems.push(`TRUST_PROXY as a hop count must be from 1 to 10 (got ${shown(value)}).`);
    return false;
  }
  const items = v.split(",").map((x) => x.trim()).filter(Boolean);
  const bad = items.filter((x) => !validCidr(x));
  if (bad.length || !items.length) {
    problems.push(`TRUST_PROXY must be off, a hop count (e.g. 1) or proxy addresses such as 10.0.0.0/8,loopback (not understood: ${shown(bad.join(","))}).`);
    return false;
  }
  return items;
}

function parseRegExp(name: string, value: string | undefined, problems: string[]): RegExp | null {
  if (value === undefined || value.trim() === "") return null;
  try {
    return new RegExp(value.trim());
  } catch {
    problems.push(`${name} is not a valid regular expression (got ${shown(value)}).`);
    return null;
  }
}

function parsePosture(env: Env, problems: string[]): PostureConfig {
  const d = POSTURE_DEFAULTS;
  const hour = 3_600_000;
  return {
    concurrency: parseInteger("POSTURE_CONCURRENCY", env.POSTURE_CONCURRENCY, d.concurrency, 1, 64, problems),
    batchSize: parseInteger("POSTURE_BATCH_SIZE", env.POSTURE_BATCH_SIZE, d.batchSize, 1, 1000, problems),
    staleDays: parseInteger("POSTURE_STALE_DAYS", env.POSTURE_STALE_DAYS, d.staleDays, 1, 3650, problems),
    backupViaLoginAs: parseBool("POSTURE_BACKUP_VIA_LOGIN_AS", env.POSTURE_BACKUP_VIA_LOGIN_AS, d.backupViaLoginAs, problems),
    appservicePattern: parseRegExp("POSTURE_APPSERVICE_USERS", env.POSTURE_APPSERVICE_USERS, problems),
    resumeWithinMs: parseInteger("POSTURE_RESUME_WITHIN_HOURS", env.POSTURE_RESUME_WITHIN_HOURS, d.resumeWithinMs / hour, 0, 24 * 30, problems) * hour,
  };
}

function parseSelfCheck(env: Env, problems: string[]): SelfCheckConfig {
  // Only the origin counts (a path given with it is dropped): the well-known paths are fixed.
  const origin = parseUrl("STEWARD_SELF_CHECK_ORIGIN", env.STEWARD_SELF_CHECK_ORIGIN, problems);
  const scheme = (env.STEWARD_SELF_CHECK_FEDERATION_SCHEME?.trim() || "https").toLowerCase();
  if (scheme !== "https" && scheme !== "http") {
    problems.push(`STEWARD_SELF_CHECK_FEDERATION_SCHEME must be https or http (got ${shown(env.STEWARD_SELF_CHECK_FEDERATION_SCHEME)}).`);
  }
  return { wellKnownOrigin: origin ? new URL(origin).origin : undefined, federationScheme: scheme === "http" ? "http" : "https" };
}

/** How Steward's own database is opened under this configuration (the server and `npm run collect`). */
export function databaseOptions(config: Config): OpenDatabaseOptions {
  return { url: config.databaseUrl, dataDir: config.dataDir, pgliteSharedBuffersMb: config.pgliteSharedBuffersMb };
}

/** In development the secret is generated once and kept in the data directory, so sessions survive restarts. */
function developmentSecret(dataDir: string): string {
  const file = path.join(dataDir, "session-secret");
  try {
    return fs.readFileSync(file, "utf8").trim();
  } catch {
    fs.mkdirSync(dataDir, { recursive: true });
    const secret = crypto.randomBytes(32).toString("base64url");
    fs.writeFileSync(file, secret, { mode: 0o600 });
    return secret;
  }
}

/**
 * Secrets copied from an example instead of generated: the placeholders Steward's own examples ship, and values
 * that say they are one. They pass the length check, so they are refused by name.
 */
const PLACEHOLDER_SECRETS = ["replace-with-the-output-of-openssl-rand-base64-32", "set-session-secret"];
export function isPlaceholderSecret(secret: string): boolean {
  const s = secret.trim().toLowerCase();
  return PLACEHOLDER_SECRETS.includes(s) || /^(replace|change|changeme|change-me|your|example|placeholder)/.test(s);
}

function parseAuthMode(raw: string | undefined, problems: string[]): Config["homeserverAuth"] {
  const v = (raw?.trim() || "auto").toLowerCase();
  if (v === "auto" || v === "synapse" || v === "mas") return v;
  problems.push(`HOMESERVER_AUTH must be auto, synapse or mas (got ${shown(raw)}).`);
  return "auto";
}

export function loadConfig(env: Env = process.env): Config {
  const problems: string[] = [];
  const nodeEnvRaw = env.NODE_ENV ?? "development";
  const nodeEnv = (["production", "development", "test"].includes(nodeEnvRaw) ? nodeEnvRaw : "development") as Config["nodeEnv"];

  const homeserverUrl = parseUrl("HOMESERVER_URL", env.HOMESERVER_URL, problems);
  if (env.HOMESERVER_URL === undefined || env.HOMESERVER_URL.trim() === "")
    problems.push("HOMESERVER_URL is required: the client-API address of the one homeserver Steward manages (e.g. https://matrix.example.org).");
  const databaseUrl = parseUrl("DATABASE_URL", env.DATABASE_URL, problems, ["postgres:", "postgresql:"]);
  const synapseDatabaseUrl = parseUrl("SYNAPSE_DATABASE_URL", env.SYNAPSE_DATABASE_URL, problems, ["postgres:", "postgresql:"]);
  const port = parseInteger("PORT", env.PORT, 3000, 0, 65535, problems);
  const host = env.HOST?.trim() || "127.0.0.1";
  const dataDir = path.resolve(env.STEWARD_DATA_DIR?.trim() || "./data");
  const publicBaseUrl = parseUrl("PUBLIC_BASE_URL", env.PUBLIC_BASE_URL, problems) ?? `http://localhost:${port}`;

  let sessionSecret = env.SESSION_SECRET?.trim() ?? "";
  if (sessionSecret && isPlaceholderSecret(sessionSecret)) {
    problems.push("SESSION_SECRET is still the example's placeholder; set a random one (try: openssl rand -base64 32).");
  } else if (sessionSecret && sessionSecret.length < 32) {
    problems.push("SESSION_SECRET must be at least 32 characters (try: openssl rand -base64 32).");
  } else if (!sessionSecret && nodeEnv === "production") {
    problems.push("SESSION_SECRET is required when NODE_ENV=production (try: openssl rand -base64 32).");
  }

  const logLevel = (env.LOG_LEVEL?.trim() || "info").toLowerCase();
  if (!["debug", "info", "warn", "error"].includes(logLevel)) problems.push(`LOG_LEVEL must be debug, info, warn or error (got ${shown(env.LOG_LEVEL)}).`);

  const collectIntervals: Record<string, number> = {
    "user-counts": parseInteger("COLLECT_USER_COUNTS_SECONDS", env.COLLECT_USER_COUNTS_SECONDS, 15 * 60, 0, 7 * 86400, problems),
    federation: parseInteger("COLLECT_FEDERATION_SECONDS", env.COLLECT_FEDERATION_SECONDS, 5 * 60, 0, 7 * 86400, problems),
    posture: parseInteger("COLLECT_POSTURE_SECONDS", env.COLLECT_POSTURE_SECONDS, 6 * 3600, 0, 30 * 86400, problems),
  };

  const config: Config = {
    nodeEnv,
    homeserverUrl: homeserverUrl ?? "",
    homeserverAdminToken: env.HOMESERVER_ADMIN_TOKEN?.trim() || undefined,
    homeserverAuth: parseAuthMode(env.HOMESERVER_AUTH, problems),
    databaseUrl,
    dataDir,
    pgliteSharedBuffersMb: parseInteger("PGLITE_SHARED_BUFFERS_MB", env.PGLITE_SHARED_BUFFERS_MB, DEFAULT_PGLITE_SHARED_BUFFERS_MB, 1, 16_384, problems),
    sessionSecret,
    publicBaseUrl,
    port,
    host,
    trustProxy: parseTrustProxy(env.TRUST_PROXY, problems),
    metricsToken: env.METRICS_TOKEN?.trim() || undefined,
    publicRegistration: parseBool("PUBLIC_REGISTRATION", env.PUBLIC_REGISTRATION, true, problems),
    adminContact: env.ADMIN_CONTACT?.trim() || undefined,
    sessionIdleMinutes: parseInteger("SESSION_IDLE_MINUTES", env.SESSION_IDLE_MINUTES, 12 * 60, 1, 30 * 24 * 60, problems),
    sessionMaxHours: parseInteger("SESSION_MAX_HOURS", env.SESSION_MAX_HOURS, 7 * 24, 1, 365 * 24, problems),
    sessionReverifySeconds: parseInteger("SESSION_REVERIFY_SECONDS", env.SESSION_REVERIFY_SECONDS, 60, 0, 3600, problems),
    pageCacheSeconds: parseInteger("PAGE_CACHE_SECONDS", env.PAGE_CACHE_SECONDS, 10, 0, 300, problems),
    homeserverTimeoutMs: parseInteger("HOMESERVER_TIMEOUT_MS", env.HOMESERVER_TIMEOUT_MS, 10_000, 100, 600_000, problems),
    collectIntervals,
    collectorsEnabled: parseBool("COLLECTORS_ENABLED", env.COLLECTORS_ENABLED, true, problems),
    logLevel: logLevel as Config["logLevel"],
    synapseDatabaseUrl,
    posture: parsePosture(env, problems),
    selfCheck: parseSelfCheck(env, problems),
  };
  if (problems.length) throw new ConfigError(problems);
  if (!config.sessionSecret) {
    try {
      config.sessionSecret = developmentSecret(dataDir);
    } catch (e) {
      // e.g. STEWARD_DATA_DIR names a file or a read-only place: one plain message, not a stack trace.
      const reason = (e as NodeJS.ErrnoException)?.code ?? "error";
      throw new ConfigError([`STEWARD_DATA_DIR (${dataDir}) cannot hold the generated session secret (${reason}); make it a writable directory or set SESSION_SECRET.`]);
    }
  }
  return config;
}

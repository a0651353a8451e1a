/**
 * The self-check of our own server (/federation/self-check): runs every check from Steward's backend like the
 * public federation tester, stores each run (history), and answers "what is failing now" for the overview.
 *
 * Where "the server" is comes from the server name (the admin's user id); two settings (read by loadConfig into
 * `config.selfCheck`) redirect it for tests and development, where only loopback is reachable (README, "Federation"):
 *   STEWARD_SELF_CHECK_ORIGIN=http://127.0.0.1:8008  fetch https://<server name>/.well-known/... from here
 *   STEWARD_SELF_CHECK_FEDERATION_SCHEME=http        speak plain http to the federation address (no TLS check)
 */
import { desc } from "drizzle-orm";
import type { Db } from "../../../../db/client";
import type { Config } from "../../../config.server";
import { selfCheckRuns } from "../../../../db/schema";
import { createHomeserverClient, type HomeserverClient } from "../../../homeserver";
import { originForServerName } from "../../../homeserver/discovery";
import {
  checkClientApi,
  checkClientWellKnown,
  checkFederationApi,
  checkServerKeys,
  checkTls,
  CHECK_TITLES,
  discoverFederation,
  type CheckResult,
  type CheckStatus,
} from "./checks.server";
import { systemSrvResolver, type SrvResolver } from "./resolve.server";
import { checkSignInMode } from "./sign-in.server";
import type { AuthSetting } from "../../auth/mode.server";
import { inspectCertificate, type TlsInspector } from "./tls.server";

export interface SelfCheckEnv {
  serverName: string;
  /** The homeserver URL Steward uses: checked when the client well-known names no base URL. */
  homeserverUrl?: string;
  now: () => number;
  /** Per request. */
  timeoutMs: number;
  fetch?: typeof fetch;
  resolveSrv: SrvResolver;
  inspectTls: TlsInspector;
  wellKnownOrigin?: string;
  federationScheme: "https" | "http";
  /** HOMESERVER_AUTH (default auto). */
  authSetting?: AuthSetting;
}

export interface SelfCheckReport {
  serverName: string;
  startedAt: number;
  finishedAt: number;
  status: Exclude<CheckStatus, "skip">;
  results: CheckResult[];
}

/** `overrides` is the configuration's `selfCheck` (STEWARD_SELF_CHECK_*): the real server unless redirected. */
export function defaultSelfCheckEnv(
  serverName: string,
  overrides: Config["selfCheck"],
  opts: { homeserverUrl?: string; timeoutMs?: number; authSetting?: AuthSetting } = {},
): SelfCheckEnv {
  return {
    serverName,
    homeserverUrl: opts.homeserverUrl,
    authSetting: opts.authSetting,
    now: Date.now,
    timeoutMs: opts.timeoutMs ?? 5000,
    resolveSrv: systemSrvResolver(),
    inspectTls: inspectCertificate,
    wellKnownOrigin: overrides.wellKnownOrigin,
    federationScheme: overrides.federationScheme,
  };
}

export const serverNameOf = (userId: string) => userId.slice(userId.indexOf(":") + 1);

function client(env: SelfCheckEnv, baseUrl: string): HomeserverClient {
  // One retry at most (the probes ask for it): a self-check should report quickly; flakiness is itself a finding.
  return createHomeserverClient({ baseUrl, timeoutMs: env.timeoutMs, maxRetries: 0, ...(env.fetch ? { fetch: env.fetch } : {}), userAgent: "Steward self-check" });
}

function worst(results: CheckResult[]): SelfCheckReport["status"] {
  if (results.some((r) => r.status === "fail")) return "fail";
  if (results.some((r) => r.status === "warn")) return "warn";
  return "pass";
}

export async function runSelfCheck(env: SelfCheckEnv): Promise<SelfCheckReport> {
  const startedAt = env.now();
  let origin: string;
  try {
    origin = env.wellKnownOrigin ?? originForServerName(env.serverName);
  } catch {
    const summary = `"${env.serverName}" is not a valid server name, so there is nothing to check.`;
    const results = [{ id: "server-discovery" as const, title: CHECK_TITLES["server-discovery"], status: "fail" as const, summary, fix: "Check the homeserver's server_name." }];
    return { serverName: env.serverName, startedAt, finishedAt: env.now(), status: "fail", results };
  }
  const probe = client(env, origin);
  const results: CheckResult[] = [];

  const wkClient = await probe.discovery.wellKnownClient(origin);
  results.push(checkClientWellKnown(wkClient, env.serverName));
  const base = wkClient.outcome === "ok" ? wkClient.value.homeserverBaseUrl : env.homeserverUrl ?? null;
  const source = wkClient.outcome === "ok" ? "from the well-known" : "Steward's homeserver URL";
  results.push(await checkClientApi(base ? client(env, base) : null, base, source));
  results.push(await checkSignInMode(base ? client(env, base) : null, base, env.authSetting ?? "auto"));

  const { check, address } = await discoverFederation({ serverName: env.serverName, hs: probe, wellKnownOrigin: origin, resolveSrv: env.resolveSrv });
  results.push(check);
  if (address) {
    const host = address.host.includes(":") && !address.host.startsWith("[") ? `[${address.host}]` : address.host;
    const fedUrl = `${env.federationScheme}://${host}:${address.port}`;
    const fed = client(env, fedUrl);
    results.push(await checkFederationApi(fed, fedUrl));
    results.push(checkServerKeys(await fed.discovery.serverKeys(fedUrl), env.serverName, env.now()));
    results.push(await checkTls(env.inspectTls, address, env.federationScheme, env.now(), env.timeoutMs));
  } else {
    for (const id of ["federation-api", "server-keys", "tls-certificate"] as const) {
      results.push({ id, title: CHECK_TITLES[id], status: "skip", summary: "Skipped: the federation address could not be determined.", fix: null });
    }
  }
  return { serverName: env.serverName, startedAt, finishedAt: env.now(), status: worst(results), results };
}

export async function saveSelfCheck(db: Db, report: SelfCheckReport, trigger: string): Promise<number> {
  const [row] = await db
    .insert(selfCheckRuns)
    .values({
      startedAt: new Date(report.startedAt),
      finishedAt: new Date(report.finishedAt),
      serverName: report.serverName,
      status: report.status,
      trigger,
      results: report.results,
    })
    .returning({ id: selfCheckRuns.id });
  return row.id;
}

export interface StoredSelfCheck {
  id: number;
  at: number;
  serverName: string;
  status: string;
  trigger: string;
  results: CheckResult[];
}

export async function selfCheckHistory(db: Db, limit = 20): Promise<StoredSelfCheck[]> {
  const rows = await db.select().from(selfCheckRuns).orderBy(desc(selfCheckRuns.startedAt), desc(selfCheckRuns.id)).limit(limit);
  return rows.map((r) => ({ id: r.id, at: r.startedAt.getTime(), serverName: r.serverName, status: r.status, trigger: r.trigger, results: r.results as CheckResult[] }));
}

/** The failing (and warning) checks of the latest run: what the overview shows. */
export async function currentSelfCheckProblems(db: Db): Promise<{ at: number; problems: CheckResult[] } | null> {
  const [latest] = await selfCheckHistory(db, 1);
  if (!latest) return null;
  return { at: latest.at, problems: latest.results.filter((r) => r.status === "fail" || r.status === "warn") };
}

/**
 * The self-check of our own server, check by check: each returns pass / warn / fail (or skip when an earlier
 * step left nothing to check) with one line saying what was found and one saying how to fix it. Timeouts and
 * unreachable hosts are results here, never exceptions.
 */
import type { HomeserverClient, Probe, ServerKeys, WellKnownClient } from "../../../homeserver";
import { describeHomeserverError, isHomeserverError } from "../../../homeserver/errors";
import { verifyKeySignature } from "./keys.server";
import { isIpLiteral, lookupSrv, splitServerName, type SrvResolver } from "./resolve.server";
import { judgeCertificate, type TlsInspector } from "./tls.server";
import { dateTimeUtc } from "../../format/time";

export type CheckStatus = "pass" | "warn" | "fail" | "skip";
export const CHECK_IDS = ["client-wellknown", "client-api", "sign-in", "server-discovery", "federation-api", "server-keys", "tls-certificate"] as const;
export type CheckId = (typeof CHECK_IDS)[number];

export interface CheckResult {
  id: CheckId;
  title: string;
  status: CheckStatus;
  summary: string;
  fix: string | null;
  /** What was asked, e.g. the URL. */
  target?: string;
}

export const CHECK_TITLES: Record<CheckId, string> = {
  "client-wellknown": "Client discovery (/.well-known/matrix/client)",
  "client-api": "Client API reachable (/_matrix/client/versions)",
  "sign-in": "How admins sign in (classic Synapse or the Matrix Authentication Service)",
  "server-discovery": "Server discovery (well-known, SRV or port 8448)",
  "federation-api": "Federation API (/_matrix/federation/v1/version)",
  "server-keys": "Server signing key (/_matrix/key/v2/server)",
  "tls-certificate": "TLS certificate of the federation address",
};

const result = (id: CheckId, status: CheckStatus, summary: string, fix: string | null, target?: string): CheckResult => ({
  id,
  title: CHECK_TITLES[id],
  status,
  summary,
  fix,
  ...(target ? { target } : {}),
});

/** An error's sentence as a clause of a longer summary: without its full stop, which the summary supplies. */
const clause = (sentence: string) => sentence.replace(/\.+$/, "");

/** A one-line reason for a probe that did not answer usefully. */
function probeProblem(p: Exclude<Probe<unknown>, { outcome: "ok" }>): string {
  switch (p.outcome) {
    case "absent":
      return `${p.url} is not served (HTTP ${p.httpStatus})`;
    case "not_json":
      return `${p.url} answers, but not with JSON (HTTP ${p.httpStatus}${p.contentType ? `, ${p.contentType}` : ""})`;
    case "invalid":
      return `${p.url} is JSON of the wrong shape`;
    case "error":
      return `${p.url}: ${clause(describeHomeserverError(p.error))}`;
  }
}

export function checkClientWellKnown(p: Probe<WellKnownClient>, serverName: string): CheckResult {
  const id = "client-wellknown";
  const fix = `Serve {"m.homeserver":{"base_url":"https://<your client API host>"}} as JSON at https://${serverName}/.well-known/matrix/client, with Access-Control-Allow-Origin: *.`;
  if (p.outcome === "ok") return result(id, "pass", `Clients are sent to ${p.value.homeserverBaseUrl}.`, null, p.url);
  if (p.outcome === "absent") {
    return result(id, "warn", `No client well-known at ${p.url}: people must type the homeserver URL into their client by hand.`, fix, p.url);
  }
  if (p.outcome === "invalid") {
    return result(id, "fail", `${p.url} is JSON but has no valid "m.homeserver"."base_url"; clients will refuse it.`, fix, p.url);
  }
  return result(id, "fail", `${probeProblem(p)}.`, p.outcome === "not_json" ? "Serve the file as application/json (not an HTML page)." : fix, p.url);
}

export async function checkClientApi(hs: HomeserverClient | null, baseUrl: string | null, source: string): Promise<CheckResult> {
  const id = "client-api";
  if (!hs || !baseUrl) return result(id, "skip", "No client base URL to check (the client well-known gave none).", null);
  try {
    const v = await hs.server.clientVersions();
    const latest = v.versions.filter((x) => /^v\d/.test(x)).at(-1) ?? v.versions.at(-1) ?? "none";
    return result(id, "pass", `The client API answers at ${baseUrl} (${source}); newest spec version ${latest}.`, null, baseUrl);
  } catch (e) {
    return result(
      id,
      "fail",
      `The client API at ${baseUrl} (${source}) does not answer: ${describeHomeserverError(e)}`,
      "Make the base URL reachable over https and have the reverse proxy forward /_matrix to Synapse.",
      baseUrl,
    );
  }
}

/** Where other servers connect for federation, and how they found it. */
export interface FederationAddress {
  host: string;
  port: number;
  /** The name the certificate must cover. */
  tlsName: string;
  how: string;
}

export interface DiscoveryInput {
  serverName: string;
  hs: HomeserverClient;
  /** Where https://<server name> is fetched (an override for tests and unusual setups). */
  wellKnownOrigin: string;
  resolveSrv: SrvResolver;
}

export async function discoverFederation(input: DiscoveryInput): Promise<{ check: CheckResult; address: FederationAddress | null }> {
  const id = "server-discovery";
  const name = splitServerName(input.serverName);
  if (!name) return { check: result(id, "fail", `"${input.serverName}" is not a valid server name.`, "Check the homeserver's server_name."), address: null };
  if (isIpLiteral(name.host) || name.port !== null) {
    const port = name.port ?? 8448;
    const how = `the server name is ${name.port !== null ? "host:port" : "an IP address"}, so other servers connect to ${name.host}:${port} directly`;
    return { check: result(id, "pass", `No discovery needed: ${how}.`, null), address: { host: name.host, port, tlsName: name.host, how } };
  }
  const wk = await input.hs.discovery.wellKnownServer(input.wellKnownOrigin);
  let brokenWellKnown: string | null = null;
  if (wk.outcome === "ok") {
    const delegated = splitServerName(wk.value.server);
    if (!delegated) {
      brokenWellKnown = `${wk.url} delegates to "${wk.value.server}", which is not host[:port] (no scheme, no path)`;
    } else if (delegated.port !== null || isIpLiteral(delegated.host)) {
      const port = delegated.port ?? 8448;
      const how = `delegated by ${wk.url} to ${delegated.host}:${port}`;
      return { check: result(id, "pass", `Federation is ${how}.`, null, wk.url), address: { host: delegated.host, port, tlsName: delegated.host, how } };
    } else {
      const srv = await lookupSrv(input.resolveSrv, delegated.host);
      const target = srv.target ?? { host: delegated.host, port: 8448 };
      const how = `delegated by ${wk.url} to ${delegated.host}${srv.record ? `, then SRV ${srv.record} to ${target.host}:${target.port}` : `, port 8448`}`;
      return { check: result(id, "pass", `Federation is ${how}.`, null, wk.url), address: { host: target.host, port: target.port, tlsName: delegated.host, how } };
    }
  } else if (wk.outcome === "not_json" || wk.outcome === "invalid") {
    brokenWellKnown = probeProblem(wk);
  }
  // No usable well-known: SRV records of the server name, then port 8448.
  const srv = await lookupSrv(input.resolveSrv, name.host);
  const target = srv.target ?? { host: name.host, port: 8448 };
  const how = srv.record ? `SRV ${srv.record}.${name.host} → ${target.host}:${target.port}` : `no delegation, so port 8448 on ${name.host}`;
  const address = { host: target.host, port: target.port, tlsName: name.host, how };
  if (brokenWellKnown) {
    return {
      check: result(id, "fail", `${brokenWellKnown}; other servers ignore it and fall back to ${how}.`, `Fix the file: it must be JSON like {"m.server":"matrix.${name.host}:443"}, or remove it.`, wk.url),
      address,
    };
  }
  if (srv.record === "_matrix._tcp") {
    return { check: result(id, "warn", `Found only the deprecated SRV record (${how}).`, `Add a _matrix-fed._tcp.${name.host} SRV record (newer servers stop reading _matrix._tcp).`), address };
  }
  if (srv.error) {
    return { check: result(id, "warn", `The DNS lookup for SRV records failed (${srv.error}); assuming ${how}.`, "Check the DNS of the server name; other servers may fail to resolve it too."), address };
  }
  const wkNote = wk.outcome === "error" ? ` (the server well-known could not be fetched: ${clause(describeHomeserverError(wk.error))})` : "";
  return { check: result(id, "pass", `Federation uses ${how}${wkNote}.`, null), address };
}

export async function checkFederationApi(hs: HomeserverClient, url: string): Promise<CheckResult> {
  const id = "federation-api";
  try {
    const v = await hs.server.federationVersion();
    return result(id, "pass", `The federation API answers at ${url} (${v.name} ${v.version}).`, null, url);
  } catch (e) {
    const why = isHomeserverError(e, "timeout")
      ? `did not answer within ${Math.round((e.timeoutMs ?? 0) / 1000)} s`
      : isHomeserverError(e, "unreachable")
        ? `cannot be reached (${e.networkCode ?? "connection failed"})`
        : clause(describeHomeserverError(e));
    return result(
      id,
      "fail",
      `The federation API at ${url} ${why.startsWith("The ") ? `fails: ${why}` : why}.`,
      "Open the federation port to the internet and have the reverse proxy forward /_matrix/federation and /_matrix/key to Synapse.",
      url,
    );
  }
}

export function checkServerKeys(p: Probe<ServerKeys>, serverName: string, now: number): CheckResult {
  const id = "server-keys";
  const forward = "Have the reverse proxy forward /_matrix/key to Synapse on the federation address.";
  if (p.outcome === "absent") return result(id, "fail", `The signing keys are not served at ${p.url} (HTTP ${p.httpStatus}); no server can verify our events.`, forward, p.url);
  if (p.outcome !== "ok") return result(id, "fail", `${probeProblem(p)}; no server can verify our events.`, forward, p.url);
  const k = p.value;
  if (k.serverName !== serverName) {
    return result(id, "fail", `The key response is for "${k.serverName}", not for ${serverName}.`, "The federation address reaches a different homeserver: fix the delegation or the proxy.", p.url);
  }
  const ed = Object.entries(k.verifyKeys).filter(([kid]) => kid.startsWith("ed25519:"));
  if (!ed.length) return result(id, "fail", "The key response holds no ed25519 verify key.", "Check Synapse's signing_key_path file: it must hold an ed25519 key.", p.url);
  if (k.validUntilTs <= now) {
    return result(
      id,
      "fail",
      `The key response expired on ${dateTimeUtc(k.validUntilTs)}: its validity is in the past.`,
      "Something serves a stale copy (a cache or CDN in front of /_matrix/key), or the server's clock is wrong: bypass the cache and check NTP.",
      p.url,
    );
  }
  const signed = ed.filter(([kid]) => typeof k.signatures[serverName]?.[kid] === "string");
  if (!signed.length) {
    return result(id, "fail", `The key response is not signed by ${serverName} with ${ed.map(([kid]) => kid).join(", ")}.`, "Something rewrites the response (a proxy?): serve Synapse's answer unchanged.", p.url);
  }
  const bad = signed.filter(([kid, key]) => !verifyKeySignature(k.raw, serverName, kid, key));
  if (bad.length) {
    return result(
      id,
      "fail",
      `The signature by ${bad.map(([kid]) => kid).join(", ")} does not verify: other servers will reject our keys.`,
      "Serve Synapse's response byte for byte (no proxy rewriting), and restart Synapse if its signing key file was replaced while running.",
      p.url,
    );
  }
  return result(id, "pass", `${signed.map(([kid]) => kid).join(", ")} present, signature valid, valid until ${dateTimeUtc(k.validUntilTs)}.`, null, p.url);
}

export async function checkTls(inspect: TlsInspector, address: FederationAddress, scheme: "https" | "http", now: number, timeoutMs: number): Promise<CheckResult> {
  const id = "tls-certificate";
  if (scheme === "http") return result(id, "skip", "The federation address is plain http here (a test or development override), so there is no certificate to check.", null);
  const target = `${address.host}:${address.port}`;
  try {
    const info = await inspect(address.host, address.port, address.tlsName, timeoutMs);
    const v = judgeCertificate(info, address.tlsName, now);
    return result(id, v.status, v.summary, v.fix, target);
  } catch (e) {
    const code = (e as { code?: string }).code ?? "";
    return result(id, "fail", `No TLS connection to ${target}: ${(e as Error).message}${code && !(e as Error).message.includes(code) ? ` (${code})` : ""}.`, "Serve https with a valid certificate on the federation port, reachable from the internet.", target);
  }
}

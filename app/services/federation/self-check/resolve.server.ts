/**
 * Server discovery for federation, as other homeservers do it (Matrix spec, server-server API "Resolving server
 * names"): an IP literal or an explicit port is used as is; otherwise /.well-known/matrix/server may delegate;
 * otherwise SRV `_matrix-fed._tcp`, then the deprecated `_matrix._tcp`; otherwise port 8448. The SRV resolver is
 * injected so tests need no DNS.
 */
import dns from "node:dns";

export interface SrvRecord {
  name: string;
  port: number;
  priority: number;
  weight: number;
}

export type SrvResolver = (name: string) => Promise<SrvRecord[]>;

/** Node's resolver with a short timeout: an unanswered DNS query must not stall the whole self-check. */
export function systemSrvResolver(timeoutMs = 3000): SrvResolver {
  const resolver = new dns.promises.Resolver({ timeout: timeoutMs, tries: 1 });
  return (name) => resolver.resolveSrv(name);
}

export interface HostPort {
  host: string;
  port: number | null;
}

/** "host", "host:port", "[v6]", "[v6]:port", "1.2.3.4:port" → parts; null when not a server name. */
export function splitServerName(name: string): HostPort | null {
  const m = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?)(?::(\d{1,5}))?$/.exec(name);
  if (!m) return null;
  const port = m[2] === undefined ? null : Number(m[2]);
  if (port !== null && (port < 1 || port > 65535)) return null;
  return { host: m[1], port };
}

export const isIpLiteral = (host: string) => host.startsWith("[") || /^\d{1,3}(\.\d{1,3}){3}$/.test(host);

export interface SrvOutcome {
  target: { host: string; port: number } | null;
  /** Which record answered, for the explanation. */
  record: "_matrix-fed._tcp" | "_matrix._tcp" | null;
  /** A lookup error other than "no such record" (e.g. a DNS timeout). */
  error: string | null;
}

const NO_RECORD = new Set(["ENOTFOUND", "ENODATA", "ENONAME", "NXDOMAIN"]);

/** SRV lookup in the spec's order; the lowest priority, then the highest weight wins (enough for a check). */
export async function lookupSrv(resolve: SrvResolver, host: string): Promise<SrvOutcome> {
  let error: string | null = null;
  for (const prefix of ["_matrix-fed._tcp", "_matrix._tcp"] as const) {
    try {
      const records = await resolve(`${prefix}.${host}`);
      if (records.length) {
        const best = [...records].sort((a, b) => a.priority - b.priority || b.weight - a.weight)[0];
        return { target: { host: best.name.replace(/\.$/, ""), port: best.port }, record: prefix, error: null };
      }
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code ?? "";
      if (!NO_RECORD.has(code)) error ??= `${prefix}.${host}: ${code || (e as Error).message}`;
    }
  }
  return { target: null, record: null, error };
}

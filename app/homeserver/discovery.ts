/**
 * Discovery probes for the federation self-check (reference §7): absolute URLs, never authenticated.
 * Probes do not throw for the outcomes a self-check wants to report ("absent", "not JSON", "invalid"); they
 * return them as data, and keep the HomeserverError for anything else (timeouts, unreachable, 5xx).
 */
import { z } from "zod";
import { HomeserverError } from "./errors";
import type { HomeserverHttp, Parser } from "./http";
import { msTimestamp, requiredMsTimestamp } from "./parse";

export type Probe<T> =
  | { outcome: "ok"; url: string; value: T }
  /** 404, JSON or not (Synapse answers the unset server well-known with a text/plain 404). */
  | { outcome: "absent"; url: string; httpStatus: number }
  /** A 2xx that is not JSON (e.g. an HTML page served by a proxy or a CMS). */
  | { outcome: "not_json"; url: string; httpStatus: number; contentType?: string }
  /** JSON of the wrong shape. */
  | { outcome: "invalid"; url: string; detail: string }
  /** Anything else: error.kind says what (timeout, unreachable, server_error, forbidden, ...). */
  | { outcome: "error"; url: string; error: HomeserverError };

export interface WellKnownClient {
  homeserverBaseUrl: string;
  identityServerBaseUrl: string | null;
  /** The whole document, for displaying extra keys (e.g. org.matrix.msc2965.authentication). */
  raw: Record<string, unknown>;
}

export interface ServerKeys {
  serverName: string;
  /** key id (e.g. "ed25519:a_xVAb") → unpadded base64 public key. */
  verifyKeys: Record<string, string>;
  oldVerifyKeys: Record<string, { key: string; expiredTs: number | null }>;
  /** ms */
  validUntilTs: number;
  signatures: Record<string, Record<string, string>>;
  /** The response as received: signatures are checked over it (canonical JSON), not over the parsed copy. */
  raw: Record<string, unknown>;
}

// hostname[:port] or [ipv6][:port]: anything else (paths, userinfo, spaces) is refused before any request.
const SERVER_NAME = /^(?:[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;

/** `https://<serverName>`, or an explicit http(s) origin (used by tests and for non-default setups). */
export function originForServerName(serverNameOrOrigin: string): string {
  if (/^https?:\/\//i.test(serverNameOrOrigin)) return new URL(serverNameOrOrigin).origin;
  if (!SERVER_NAME.test(serverNameOrOrigin)) throw new Error(`Not a valid server name: ${JSON.stringify(serverNameOrOrigin)}`);
  return `https://${serverNameOrOrigin}`;
}

const wellKnownClientSchema = z
  .object({
    "m.homeserver": z.object({ base_url: z.string().url() }),
    "m.identity_server": z.object({ base_url: z.string() }).nullish(),
  })
  .passthrough()
  .transform(
    (r): WellKnownClient => ({
      homeserverBaseUrl: r["m.homeserver"].base_url,
      identityServerBaseUrl: r["m.identity_server"]?.base_url ?? null,
      raw: r as Record<string, unknown>,
    }),
  );

const wellKnownServerSchema = z.object({ "m.server": z.string().min(1) }).transform((r) => ({ server: r["m.server"] }));

const serverKeysSchema = z
  .object({
    server_name: z.string(),
    verify_keys: z.record(z.object({ key: z.string() })),
    old_verify_keys: z.record(z.object({ key: z.string(), expired_ts: msTimestamp })).nullish(),
    valid_until_ts: requiredMsTimestamp,
    signatures: z.record(z.record(z.string())).nullish(),
  })
  .transform(
    (r): Omit<ServerKeys, "raw"> => ({
      serverName: r.server_name,
      verifyKeys: Object.fromEntries(Object.entries(r.verify_keys).map(([id, v]) => [id, v.key])),
      oldVerifyKeys: Object.fromEntries(
        Object.entries(r.old_verify_keys ?? {}).map(([id, v]) => [id, { key: v.key, expiredTs: v.expired_ts }]),
      ),
      validUntilTs: r.valid_until_ts,
      signatures: r.signatures ?? {},
    }),
  );

async function probe<T>(http: HomeserverHttp, origin: string, path: string, parse: Parser<T>): Promise<Probe<T>> {
  const url = `${origin}${path}`;
  try {
    // One retry only: a self-check should report quickly, and a flaky answer is itself worth reporting.
    const value = await http.request({ method: "GET", baseUrl: origin, path, auth: false, maxRetries: 1, parse });
    return { outcome: "ok", url, value };
  } catch (e) {
    if (!(e instanceof HomeserverError)) throw e;
    if (e.status === 404) return { outcome: "absent", url, httpStatus: 404 };
    if (e.kind === "not_matrix" && e.status !== null && e.status < 300) {
      return { outcome: "not_json", url, httpStatus: e.status, ...(e.contentType ? { contentType: e.contentType } : {}) };
    }
    if (e.kind === "unexpected" && e.status === 200) return { outcome: "invalid", url, detail: e.message };
    return { outcome: "error", url, error: e };
  }
}

export function discoveryApi(http: HomeserverHttp) {
  return {
    /** GET https://<serverName>/.well-known/matrix/client (redirects followed, as clients do). */
    async wellKnownClient(serverName: string): Promise<Probe<WellKnownClient>> {
      return probe(http, originForServerName(serverName), "/.well-known/matrix/client", wellKnownClientSchema);
    },

    /**
     * GET https://<serverName>/.well-known/matrix/server. Per the spec, federation consults it only when the
     * server name has no explicit port; the caller decides whether the answer matters.
     */
    async wellKnownServer(serverName: string): Promise<Probe<{ server: string }>> {
      return probe(http, originForServerName(serverName), "/.well-known/matrix/server", wellKnownServerSchema);
    },

    /** GET <baseUrl>/_matrix/key/v2/server: the signing keys as served on a federation endpoint. */
    async serverKeys(baseUrl: string): Promise<Probe<ServerKeys>> {
      // Keep the document as received (zod strips unknown keys), since the signature covers all of it.
      const parse = (json: unknown): ServerKeys => ({ ...serverKeysSchema.parse(json), raw: json as Record<string, unknown> });
      return probe(http, new URL(baseUrl).origin, "/_matrix/key/v2/server", parse);
    },
  };
}

export type DiscoveryApi = ReturnType<typeof discoveryApi>;

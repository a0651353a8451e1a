/**
 * Whether the homeserver delegates sign-in to the Matrix Authentication Service, and where MAS is (mas-api.md §1.5):
 * `GET /_matrix/client/v1/auth_metadata` (Synapse ≥ 1.138), then the unstable MSC2965 `auth_metadata`, then the older
 * `auth_issuer`. All unauthenticated. A 404 on all three means no delegation.
 */
import { z } from "zod";
import { HomeserverError } from "./errors";
import type { HomeserverHttp } from "./http";

export interface AuthMetadata {
  issuer: string;
  /** Which endpoint answered. */
  source: "v1" | "unstable" | "auth_issuer";
  accountManagementUri: string | null;
  authorizationEndpoint: string | null;
  tokenEndpoint: string | null;
  registrationEndpoint: string | null;
  revocationEndpoint: string | null;
  /**
   * Where MAS's admin API is: discovery does not say, so (like Element Admin) the GraphQL endpoint without its
   * trailing `/graphql`, else the issuer. Without a trailing slash.
   */
  adminApiBase: string;
}

const optionalUrl = z.string().url().optional().catch(undefined);
const metadataSchema = z
  .object({
    issuer: z.string().url(),
    account_management_uri: optionalUrl,
    authorization_endpoint: optionalUrl,
    token_endpoint: optionalUrl,
    registration_endpoint: optionalUrl,
    revocation_endpoint: optionalUrl,
    "org.matrix.matrix-authentication-service.graphql_endpoint": optionalUrl,
  })
  .passthrough();

const issuerSchema = z.object({ issuer: z.string().url() });

const trimSlash = (s: string) => s.replace(/\/+$/, "");

function fromMetadata(m: z.infer<typeof metadataSchema>, source: AuthMetadata["source"]): AuthMetadata {
  const graphql = m["org.matrix.matrix-authentication-service.graphql_endpoint"];
  return {
    issuer: m.issuer,
    source,
    accountManagementUri: m.account_management_uri ?? null,
    authorizationEndpoint: m.authorization_endpoint ?? null,
    tokenEndpoint: m.token_endpoint ?? null,
    registrationEndpoint: m.registration_endpoint ?? null,
    revocationEndpoint: m.revocation_endpoint ?? null,
    adminApiBase: trimSlash(graphql && /\/graphql\/?$/.test(graphql) ? graphql.replace(/\/graphql\/?$/, "") : m.issuer),
  };
}

const notThere = (e: unknown) => e instanceof HomeserverError && (e.status === 404 || e.status === 405);

export function authMetadataApi(http: HomeserverHttp) {
  return {
    /** The MAS metadata, or null when the homeserver does not delegate. Other failures throw HomeserverError. */
    async get(): Promise<AuthMetadata | null> {
      const attempts: Array<[AuthMetadata["source"], string]> = [
        ["v1", "/_matrix/client/v1/auth_metadata"],
        ["unstable", "/_matrix/client/unstable/org.matrix.msc2965/auth_metadata"],
      ];
      for (const [source, path] of attempts) {
        try {
          const m = await http.request({ method: "GET", path, auth: false, maxRetries: 1, parse: metadataSchema });
          return fromMetadata(m, source);
        } catch (e) {
          if (!notThere(e)) throw e;
        }
      }
      try {
        const r = await http.request({ method: "GET", path: "/_matrix/client/unstable/org.matrix.msc2965/auth_issuer", auth: false, maxRetries: 1, parse: issuerSchema });
        return fromMetadata({ issuer: r.issuer }, "auth_issuer");
      } catch (e) {
        if (notThere(e)) return null;
        throw e;
      }
    },
  };
}

export type AuthMetadataApi = ReturnType<typeof authMetadataApi>;

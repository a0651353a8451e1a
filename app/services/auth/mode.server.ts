/**
 * Which way admins sign in (issue 16, item 1): classic Synapse (password or access token) or through the Matrix
 * Authentication Service the homeserver delegates to. Detected from the homeserver's auth metadata unless
 * HOMESERVER_AUTH forces it. Answers are remembered for a few minutes per homeserver (a detection costs up to three
 * requests); failures are not remembered.
 */
import type { AuthMetadata, HomeserverClient } from "../../homeserver";
import { describeHomeserverError, isHomeserverError } from "../../homeserver/errors";

export type AuthSetting = "auto" | "synapse" | "mas";

export interface AuthMode {
  mode: "synapse" | "mas";
  /** "configured" when HOMESERVER_AUTH decided, "detected" when the homeserver said. */
  decidedBy: "configured" | "detected";
  /** MAS's metadata when the homeserver delegates (or was asked for it and answered). */
  mas: AuthMetadata | null;
  /** Something worth telling the admin: detection failed, or the setting disagrees with the homeserver. */
  problem: string | null;
}

const TTL_MS = 5 * 60_000;
const cache = new Map<string, { at: number; metadata: AuthMetadata | null }>();

export function forgetAuthModes(): void {
  cache.clear();
}

async function metadataOf(hs: HomeserverClient, key: string, now: number, fresh: boolean): Promise<AuthMetadata | null> {
  const hit = cache.get(key);
  if (!fresh && hit && now - hit.at < TTL_MS) return hit.metadata;
  const metadata = await hs.authMetadata.get();
  cache.set(key, { at: now, metadata });
  return metadata;
}

/**
 * The mode as far as it is known without asking the homeserver: from the setting, else from the last answer seen
 * (however old), else null. For pages that read only Steward's database and must not wait on the homeserver.
 */
export function knownAuthMode(setting: AuthSetting, cacheKey: string): AuthMode["mode"] | null {
  if (setting !== "auto") return setting;
  const hit = cache.get(cacheKey);
  return hit ? (hit.metadata ? "mas" : "synapse") : null;
}

export async function detectAuthMode(hs: HomeserverClient, setting: AuthSetting, opts: { cacheKey: string; now?: number; fresh?: boolean }): Promise<AuthMode> {
  if (setting === "synapse") return { mode: "synapse", decidedBy: "configured", mas: null, problem: null };
  let metadata: AuthMetadata | null;
  try {
    metadata = await metadataOf(hs, opts.cacheKey, opts.now ?? Date.now(), opts.fresh ?? false);
  } catch (e) {
    const why = isHomeserverError(e) ? describeHomeserverError(e) : "an unexpected error";
    if (setting === "mas") {
      return { mode: "mas", decidedBy: "configured", mas: null, problem: `HOMESERVER_AUTH=mas, but Steward could not ask the homeserver where the authentication service is. ${why}` };
    }
    return { mode: "synapse", decidedBy: "detected", mas: null, problem: `Steward could not ask the homeserver whether it delegates sign-in (${why}), so it assumes classic Synapse sign-in.` };
  }
  if (setting === "mas") {
    return {
      mode: "mas",
      decidedBy: "configured",
      mas: metadata,
      problem: metadata ? null : "HOMESERVER_AUTH=mas, but the homeserver does not delegate sign-in to an authentication service (its auth_metadata answers 404).",
    };
  }
  return { mode: metadata ? "mas" : "synapse", decidedBy: "detected", mas: metadata, problem: null };
}

/** One sentence for the sign-in page, the self-check and logs: which mode, and why. */
export function describeAuthMode(m: AuthMode): string {
  const how = m.decidedBy === "configured" ? "as set by HOMESERVER_AUTH" : "as the homeserver says";
  if (m.mode === "synapse") return `Admins sign in with their Synapse account (classic sign-in, ${how}).`;
  const where = m.mas ? ` at ${m.mas.issuer}` : "";
  return `This homeserver delegates sign-in to the Matrix Authentication Service${where} (${how}).`;
}

export interface AuthModeSummary {
  mode: AuthMode["mode"];
  text: string;
  problem: string | null;
  issuer: string | null;
}

/** What the sign-in page and the self-check show. */
export async function authModeSummary(hs: HomeserverClient, setting: AuthSetting, homeserverUrl: string): Promise<AuthModeSummary> {
  const m = await detectAuthMode(hs, setting, { cacheKey: homeserverUrl });
  return { mode: m.mode, text: describeAuthMode(m), problem: m.problem, issuer: m.mas?.issuer ?? null };
}

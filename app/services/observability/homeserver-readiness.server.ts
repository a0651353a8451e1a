/**
 * The homeserver line of /readyz: reported, never fatal (pages keep working from Steward's database while the
 * homeserver is away, so a load balancer must not take Steward out of rotation for it).
 *
 * The probe is the cheapest call there is — the unauthenticated `GET /_matrix/client/versions` — with a short
 * timeout and no retries, and its answer is kept for a few seconds: load balancers and orchestrators probe every
 * replica every few seconds, and those probes must not turn into a steady load on the homeserver. Concurrent probes
 * share one request. Once an answer exists, an older one is returned at once while a fresh probe runs in the
 * background: a slow homeserver must not make /readyz itself slow (a probe with a 1 s timeout would then fail, and
 * the homeserver would be fatal after all). Only the very first probe of a process is waited for (≤ 2 s).
 */
import type { Config } from "../../config.server";
import type { HomeserverClient } from "../../homeserver";
import { describeHomeserverError } from "../../homeserver/errors";

export const READINESS_PROBE_TIMEOUT_MS = 2_000;
export const READINESS_CACHE_MS = 5_000;

interface Cached {
  /** When the latest probe started. */
  at: number;
  /** The latest finished answer, if any. */
  settled?: string;
  running?: Promise<string>;
}

/** What the probe needs of the app context (the context itself satisfies it). */
export interface ReadinessProbeContext {
  config: Pick<Config, "homeserverUrl" | "homeserverTimeoutMs">;
  homeserver(baseUrl: string, accessToken?: string, opts?: { timeoutMs?: number; maxRetries?: number }): HomeserverClient;
}

/** Per context, not per module: tests run several Stewards in one process. */
const cache = new WeakMap<ReadinessProbeContext, Cached>();

/** "ok", "not configured" (no HOMESERVER_URL), or "unreachable: <reason>". */
export async function homeserverReadiness(steward: ReadinessProbeContext, now = Date.now()): Promise<string> {
  const url = steward.config.homeserverUrl;
  if (!url) return "not configured";
  let entry = cache.get(steward);
  if (!entry) cache.set(steward, (entry = { at: -Infinity }));
  if (now - entry.at >= READINESS_CACHE_MS && !entry.running) {
    const state = entry;
    state.at = now;
    const hs = steward.homeserver(url, undefined, { timeoutMs: Math.min(READINESS_PROBE_TIMEOUT_MS, steward.config.homeserverTimeoutMs), maxRetries: 0 });
    state.running = hs.server
      .clientVersions()
      .then(
        () => "ok",
        (e: unknown) => `unreachable: ${describeHomeserverError(e)}`,
      )
      .then((value) => {
        state.settled = value;
        state.running = undefined;
        return value;
      });
  }
  return entry.settled ?? (await entry.running!);
}

/**
 * Bulk jobs act through Synapse's admin API (device deletion, deactivation). When the homeserver delegates accounts
 * to the Matrix Authentication Service, accounts and sessions live in MAS: deactivating or signing out in Synapse
 * behind MAS's back would leave MAS counting the account as active and the session alive. Until the jobs have a MAS
 * implementation they are refused there, with why, and the single-user actions (which do go through MAS) are named.
 */
import type { HomeserverClient } from "../../../homeserver";
import { detectAuthMode, knownAuthMode, type AuthSetting } from "../../auth/mode.server";

export const BULK_UNDER_MAS =
  "Bulk jobs are not available on this server: its accounts and sessions are run by the authentication service (MAS), and Steward's bulk jobs act through Synapse. Use the actions on each user's page, which go through MAS.";

/** Null when bulk jobs may run here; else the sentence saying why not. The mode is cached (auth metadata, 5 min). */
export async function bulkJobsUnavailable(a: { hs: HomeserverClient; steward: { config: { homeserverAuth: AuthSetting; homeserverUrl: string } } }): Promise<string | null> {
  const c = a.steward.config;
  const mode = await detectAuthMode(a.hs, c.homeserverAuth, { cacheKey: c.homeserverUrl });
  return mode.mode === "mas" ? BULK_UNDER_MAS : null;
}

/**
 * The same, for the lists that link to bulk jobs: from the mode already known (no homeserver request, since those
 * pages read only Steward's database and must not wait on the homeserver). Unknown: the links show, and the preview
 * behind them checks properly.
 */
export function bulkJobsUnavailableKnown(config: { homeserverAuth: AuthSetting; homeserverUrl: string }): string | null {
  return knownAuthMode(config.homeserverAuth, config.homeserverUrl) === "mas" ? BULK_UNDER_MAS : null;
}

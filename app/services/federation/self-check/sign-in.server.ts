/** The self-check's "sign-in" line: which way admins sign in, as the homeserver says (or HOMESERVER_AUTH forces). */
import type { HomeserverClient } from "../../../homeserver";
import { describeAuthMode, detectAuthMode, type AuthSetting } from "../../auth/mode.server";
import { CHECK_TITLES, type CheckResult } from "./checks.server";

export async function checkSignInMode(hs: HomeserverClient | null, baseUrl: string | null, setting: AuthSetting): Promise<CheckResult> {
  const base = { id: "sign-in" as const, title: CHECK_TITLES["sign-in"] };
  if (!hs || !baseUrl) return { ...base, status: "skip", summary: "Skipped: no client API address to ask.", fix: null };
  const m = await detectAuthMode(hs, setting, { cacheKey: baseUrl, fresh: true });
  const target = `${baseUrl}/_matrix/client/v1/auth_metadata`;
  if (m.problem) {
    return {
      ...base,
      status: "warn",
      summary: `${describeAuthMode(m)} ${m.problem}`,
      fix: "Check HOMESERVER_AUTH, and that the reverse proxy forwards /_matrix/client/*/auth_metadata to Synapse.",
      target,
    };
  }
  return { ...base, status: "pass", summary: describeAuthMode(m), fix: null, target };
}

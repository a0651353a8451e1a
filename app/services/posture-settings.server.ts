/**
 * Settings of the posture scan, from environment variables, each checked with a plain message. (Kept beside the
 * feature rather than in config.server.ts so the scan owns its knobs; `postureSettings()` throws a ConfigError-like
 * message listing every problem, which the collector run records.)
 */
import type { Config } from "../config.server";

export interface PostureSettings {
  /** Homeserver requests in flight at once. */
  concurrency: number;
  /** Users per users-list page and per keys/query. */
  batchSize: number;
  /** A device not seen for this many days is stale. */
  staleDays: number;
  /** Exact backup state via short-lived login-as tokens (opt-in: it is impersonation, and every use is audited). */
  backupViaLoginAs: boolean;
  /** Read-only connection to Synapse's database (exact backup state). */
  synapseDatabaseUrl?: string;
  /** Users matching this are appservice users (the user list does not say). */
  appservicePattern: RegExp | null;
  /** An unfinished scan younger than this is resumed; older ones are abandoned. */
  resumeWithinMs: number;
  /** Who users should contact ({admin_contact} in nudges). */
  adminContact?: string;
}

type Env = Record<string, string | undefined>;

function int(env: Env, name: string, fallback: number, min: number, max: number, problems: string[]): number {
  const raw = env[name]?.trim();
  if (!raw) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    problems.push(`${name} must be a whole number from ${min} to ${max} (got "${raw}").`);
    return fallback;
  }
  return n;
}

export function postureSettings(config: Pick<Config, "synapseDatabaseUrl" | "adminContact">, env: Env = process.env): PostureSettings {
  const problems: string[] = [];
  const loginAsRaw = env.POSTURE_BACKUP_VIA_LOGIN_AS?.trim().toLowerCase();
  let backupViaLoginAs = false;
  if (loginAsRaw) {
    if (["1", "true", "yes", "on"].includes(loginAsRaw)) backupViaLoginAs = true;
    else if (!["0", "false", "no", "off"].includes(loginAsRaw)) problems.push(`POSTURE_BACKUP_VIA_LOGIN_AS must be true or false (got "${loginAsRaw}").`);
  }
  let appservicePattern: RegExp | null = null;
  const pattern = env.POSTURE_APPSERVICE_USERS?.trim();
  if (pattern) {
    try {
      appservicePattern = new RegExp(pattern);
    } catch {
      problems.push(`POSTURE_APPSERVICE_USERS is not a valid regular expression (got "${pattern}").`);
    }
  }
  const settings: PostureSettings = {
    concurrency: int(env, "POSTURE_CONCURRENCY", 8, 1, 64, problems),
    batchSize: int(env, "POSTURE_BATCH_SIZE", 200, 1, 1000, problems),
    staleDays: int(env, "POSTURE_STALE_DAYS", 90, 1, 3650, problems),
    backupViaLoginAs,
    synapseDatabaseUrl: config.synapseDatabaseUrl,
    appservicePattern,
    resumeWithinMs: int(env, "POSTURE_RESUME_WITHIN_HOURS", 24, 0, 24 * 30, problems) * 3_600_000,
    adminContact: config.adminContact,
  };
  if (problems.length) throw new Error(`Security posture settings: ${problems.join(" ")}`);
  return settings;
}

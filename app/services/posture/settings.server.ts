/**
 * Settings of the posture scan: the POSTURE_* knobs, validated with the rest of the configuration at start
 * (app/config.server.ts, so a bad value stops Steward with a plain message instead of failing every scan), plus the
 * two general settings the scan also needs.
 */
import type { Config, PostureConfig } from "../../config.server";

export interface PostureSettings extends PostureConfig {
  /** Read-only connection to Synapse's database (exact backup state). */
  synapseDatabaseUrl?: string;
  /** Who users should contact ({admin_contact} in nudges). */
  adminContact?: string;
}

export function postureSettings(config: Pick<Config, "posture" | "synapseDatabaseUrl" | "adminContact">): PostureSettings {
  return { ...config.posture, synapseDatabaseUrl: config.synapseDatabaseUrl, adminContact: config.adminContact };
}

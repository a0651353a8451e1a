/** Client-safe names and words for the posture checks (the browser bundle gets no .server values). */
export const CHECK_NAMES = ["fully_secured", "cross_signing", "recovery", "key_backup", "no_unverified_sessions"] as const;
export type CheckKey = (typeof CHECK_NAMES)[number];
export type Status = "ok" | "missing" | "unknown";
export const STATUSES = ["missing", "unknown", "ok"] as const;
export const EXTRA = ["deactivated", "bot", "support", "appservice"] as const;

/** The categories left out of the report unless included, in words (the filter's "Also include" boxes). */
export const EXTRA_TEXT: Record<(typeof EXTRA)[number], string> = {
  deactivated: "Deactivated accounts",
  bot: "Bots",
  support: "Support accounts",
  appservice: "Application service users",
};

export const CHECK_TEXT: Record<CheckKey, { label: string; ok: string; missing: string; help: string }> = {
  fully_secured: {
    label: "Fully secured",
    ok: "Fully secured",
    missing: "Not fully secured",
    help: "Cross-signing, recovery and key backup set up, and no unverified sessions.",
  },
  cross_signing: {
    label: "Cross-signing",
    ok: "Cross-signing set up",
    missing: "No cross-signing",
    help: "Master and self-signing keys published (the user's \"secure key\" identity).",
  },
  recovery: {
    label: "Recovery",
    ok: "Recovery set up",
    missing: "No recovery",
    help: "Secret storage with a default key that holds the cross-signing secrets.",
  },
  key_backup: {
    label: "Key backup",
    ok: "Key backup on",
    missing: "No key backup",
    help: "A current server-side key backup version.",
  },
  no_unverified_sessions: {
    label: "Sessions verified",
    ok: "No unverified sessions",
    missing: "Has unverified sessions",
    help: "Every session with keys is signed by the user's self-signing key.",
  },
};

export const STATUS_CLASS: Record<Status, string> = { ok: "ok", missing: "bad", unknown: "warn" };

export const SOURCE_TEXT: Record<string, string> = {
  database: "exact (Synapse database)",
  login_as: "exact (login-as)",
  account_data: "inferred (account data)",
};

export const DEVICE_STATE_TEXT: Record<string, string> = {
  cross_signed: "cross-signed",
  unverified: "unverified",
  no_keys: "no keys",
  keys_only: "keys, no cross-signing",
  unknown: "unknown",
};

export const pct = (n: number, of: number) => (of ? `${Math.round((n / of) * 1000) / 10}%` : "–");

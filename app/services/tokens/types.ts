/** Token states and form errors, shared by the token services and the token components. */

export type TokenState = "valid" | "expired" | "used_up" | "revoked";

export const STATE_LABELS: Record<TokenState, string> = {
  valid: "valid",
  expired: "expired",
  used_up: "used up",
  revoked: "revoked",
};

/** One message per form field (and `form` for the whole form). */
export type FieldErrors = Partial<Record<"issuedFor" | "note" | "uses" | "expires" | "expiresAt" | "token" | "length" | "form", string>>;

/**
 * The username a registration asks for, from what was typed: a leading "@" and a ":server" part dropped, and
 * lowercased, as Synapse lowercases the username of a regular registration. Shared by the page (to say it before
 * it happens) and the action.
 */
export function normalizeUsername(typed: string): string {
  return typed.trim().replace(/^@/, "").split(":")[0].toLowerCase();
}

/** A wait in words people use: "30 seconds", "about 7 minutes" (never "404 seconds"). */
export function waitInWords(seconds: number): string {
  if (seconds < 60) return seconds === 1 ? "1 second" : `${seconds} seconds`;
  const minutes = Math.ceil(seconds / 60);
  return minutes === 1 ? "about a minute" : `about ${minutes} minutes`;
}

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

/** Registration tokens under MAS as the pages show them (shared by the MAS token service and its components). */

export type MasTokenState = "valid" | "never_valid" | "used_up" | "expired" | "revoked";

export interface MasTokenView {
  id: string;
  token: string;
  state: MasTokenState;
  usageLimit: number | null;
  timesUsed: number;
  left: number | null;
  expiresAt: number | null;
  lastUsedAt: number | null;
  createdAt: number;
  revokedAt: number | null;
  issuedBy: string | null;
  issuedFor: string | null;
  note: string | null;
}

export const MAS_STATE_LABELS: Record<MasTokenState, string> = {
  valid: "valid",
  never_valid: "never valid (limit 0)",
  used_up: "used up",
  expired: "expired",
  revoked: "revoked",
};

/** State and origin badges of a registration token. */
import type { TokenState } from "~/services/tokens/types";

const STATE_CLASS: Record<TokenState, string> = { valid: "ok", expired: "warn", used_up: "info", revoked: "bad" };
const STATE_TEXT: Record<TokenState, string> = { valid: "valid", expired: "expired", used_up: "used up", revoked: "revoked" };

export function TokenStateBadge({ state }: { state: TokenState }) {
  return (
    <span className={`badge ${STATE_CLASS[state]}`} data-testid="token-state">
      {STATE_TEXT[state]}
    </span>
  );
}

export function OriginBadge({ origin, onHomeserver }: { origin: "steward" | "outside" | "adopted"; onHomeserver: boolean }) {
  if (origin === "outside" && onHomeserver) return <span className="badge warn">created outside Steward</span>;
  if (origin === "adopted") return <span className="badge">adopted</span>;
  return null;
}

export function HazardBadge() {
  return (
    <span className="badge bad" title="uses_allowed is 0: Synapse lists it as invalid, yet still lets people register with it.">
      hazard: 0 uses still admits sign-ups
    </span>
  );
}

/** Written ahead of an issue and not yet confirmed by the homeserver (in flight, or settled by the next repair). */
export function IssuingBadge() {
  return (
    <span className="badge info" data-testid="token-state" title="Steward has asked the homeserver for this token and not yet heard back.">
      being issued
    </span>
  );
}

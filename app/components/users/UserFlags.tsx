/** Badges for an account's flags (admin, deactivated, locked, guest, type, shadow-banned, erased). */
export interface FlagFields {
  admin: boolean;
  deactivated: boolean;
  locked: boolean;
  isGuest: boolean;
  userType: string | null;
  shadowBanned: boolean;
  erased: boolean;
}

export function UserFlags({ user }: { user: FlagFields }) {
  const flags: Array<[string, string]> = [];
  if (user.admin) flags.push(["admin", "info"]);
  if (user.deactivated) flags.push(["deactivated", "bad"]);
  if (user.locked) flags.push(["locked", "warn"]);
  if (user.isGuest) flags.push(["guest", ""]);
  if (user.userType) flags.push([user.userType, ""]); // untrusted text: rendered as text, never markup
  if (user.shadowBanned) flags.push(["shadow-banned", "warn"]);
  if (user.erased) flags.push(["erased", ""]);
  return (
    <span style={{ display: "inline-flex", gap: ".25rem", flexWrap: "wrap" }}>
      {flags.map(([label, tone]) => (
        <span key={label} className={`badge ${tone}`}>
          {label}
        </span>
      ))}
    </span>
  );
}

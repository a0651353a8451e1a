/** The report's bulk sign-outs for the current filter: each opens a preview listing every session first. */
export function BulkSignOutLinks({ filter, unverified, stale, staleDays }: { filter: string; unverified: number; stale: number; staleDays: number | null }) {
  if (staleDays === null) return null;
  const href = (kind: string, extra: Record<string, string> = {}) => `/security/sign-out?${new URLSearchParams([...new URLSearchParams(filter), ["kind", kind], ...Object.entries(extra)])}`;
  const users = (n: number) => `${n.toLocaleString("en")} user${n === 1 ? "" : "s"}`;
  return (
    <p className="small" data-testid="bulk-sign-out">
      {unverified ? (
        <a href={href("unverified")} data-testid="bulk-unverified">
          Sign out the unverified sessions of these {users(unverified)}…
        </a>
      ) : (
        <span className="muted">No one in this filter has an unverified session</span>
      )}{" "}
      ·{" "}
      {stale ? (
        <a href={href("stale", { days: String(staleDays) })} data-testid="bulk-stale">
          Sign out sessions unseen for more than {staleDays} days ({users(stale)})…
        </a>
      ) : (
        <span className="muted">No one in this filter has a session unseen for more than {staleDays} days</span>
      )}{" "}
      · <a href="/bulk">Bulk jobs</a>
    </p>
  );
}

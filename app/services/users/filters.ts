/** The users page's filters and sorts; shared by the page (browser) and the query service (server). */
export const USER_FILTERS = ["all", "active", "inactive", "never_seen", "deactivated", "locked", "admins", "bots"] as const;
export type UserFilter = (typeof USER_FILTERS)[number];
export const USER_SORTS = ["name", "created", "last_seen"] as const;
export type UserSort = (typeof USER_SORTS)[number];

export const FILTER_LABELS: Record<UserFilter, string> = {
  all: "All accounts",
  active: "Active (seen within N days)",
  inactive: "Inactive (not seen for more than N days)",
  never_seen: "Never seen",
  deactivated: "Deactivated",
  locked: "Locked",
  admins: "Server admins",
  bots: "Bots",
};

/** The natural first direction of each sort: names A→Z, newest accounts and most recent activity first. */
export const DEFAULT_DIR: Record<UserSort, "asc" | "desc"> = { name: "asc", created: "desc", last_seen: "desc" };

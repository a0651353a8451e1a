/**
 * Bulk user jobs in words (plain module: the preview, the progress page and the audit log share these sentences).
 */
export const BULK_KINDS = ["sign-out-unverified", "sign-out-stale", "deactivate"] as const;
export type BulkKind = (typeof BULK_KINDS)[number];

export const isBulkKind = (s: string): s is BulkKind => (BULK_KINDS as readonly string[]).includes(s);

/** A count with its noun, e.g. "1 user", "1,204 users": every sentence below counts this way. */
const counted = (n: number, noun: string) => `${n.toLocaleString("en")} ${noun}${n === 1 ? "" : "s"}`;
const users = (n: number) => counted(n, "user");
const accounts = (n: number) => counted(n, "account");

/** The job's title, e.g. on the progress page. */
export function bulkTitle(kind: BulkKind, o: { users: number; days?: number | null }): string {
  switch (kind) {
    case "sign-out-unverified":
      return `Sign out the unverified sessions of ${users(o.users)}`;
    case "sign-out-stale":
      return `Sign out the sessions of ${users(o.users)} unseen for more than ${o.days} days`;
    case "deactivate":
      return `Deactivate ${accounts(o.users)}`;
  }
}

/**
 * A job's own page: what it is, true while it waits, runs, after it finished or stopped (the status line under it
 * says which). The preview's title is the command being confirmed; once confirmed it is no longer one.
 */
export function bulkJobHeading(kind: BulkKind, o: { users: number; days?: number | null }): string {
  switch (kind) {
    case "sign-out-unverified":
      return `Sign-out of the unverified sessions of ${users(o.users)}`;
    case "sign-out-stale":
      return `Sign-out of the sessions of ${users(o.users)} unseen for more than ${o.days} days`;
    case "deactivate":
      return `Deactivation of ${accounts(o.users)}`;
  }
}

/** What the confirmation will do, in one paragraph. */
export function bulkConsequence(kind: BulkKind, o: { users: number; devices: number; days?: number | null }): string {
  const sessions = counted(o.devices, "session");
  switch (kind) {
    case "sign-out-unverified":
      return `The ${sessions} of ${users(o.users)} listed below will end: their access tokens stop working and their encryption keys are deleted. Each session is checked again just before it is signed out: one verified since this list was made is left alone. The accounts stay usable; their verified sessions stay signed in.`;
    case "sign-out-stale":
      return `The ${sessions} of ${users(o.users)} listed below, unseen for more than ${o.days} days, will end: their access tokens stop working and their encryption keys are deleted. Each session is checked again just before it is signed out: one used since this list was made is left alone. Their other sessions stay signed in.`;
    case "deactivate":
      return `The ${accounts(o.users)} listed below will be deactivated: every session signed out and the password removed, so nobody can sign in to them. Their messages and profiles stay; each can be reactivated later with a new password. An account that became a server admin since this list was made is left alone.`;
  }
}

/** The audit log's sentence for one item of a job (the outcome column says whether it happened). */
export function bulkItemSentence(kind: BulkKind, userId: string, deviceId: string, jobId: number | string): string {
  switch (kind) {
    case "sign-out-unverified":
      return `Sign out unverified session ${deviceId} of ${userId} (bulk job ${jobId})`;
    case "sign-out-stale":
      return `Sign out stale session ${deviceId} of ${userId} (bulk job ${jobId})`;
    case "deactivate":
      return `Deactivate ${userId} (bulk job ${jobId})`;
  }
}

/** What each item status means, for the progress page. */
export const ITEM_STATUS_TEXT: Record<string, string> = {
  pending: "Waiting",
  acting: "In progress",
  done: "Done",
  skipped: "Left alone",
  failed: "Failed",
};

export const JOB_STATUS_TEXT: Record<string, string> = {
  queued: "Waiting to start",
  running: "Running",
  done: "Finished",
  stopped: "Stopped",
};

/** An audit entry as people read it (issue 14, item 11), built on the server, drawn by components/audit/. */

/** A piece of a sentence: words, or an identifier (user ID, token, server) drawn whole and isolated. */
export type AuditPart = string | { id: string; href?: string };

export interface AuditLine {
  id: number;
  at: string;
  /** "Issued registration token abc for Alice", in the past tense, with its identifiers marked. */
  sentence: AuditPart[];
  /** Further facts in words: "5 uses allowed", "expires 3 Dec 2026, 18:05 UTC", "failed: …". */
  details: string[];
  outcome: "ok" | "error" | "refused" | "pending";
  /** The users a bulk action touched, each with what happened to them. */
  users?: Array<{ userId: string; result: string }>;
}

/** Words for an outcome badge. */
export const OUTCOME_WORDS: Record<string, string> = { ok: "done", error: "failed", refused: "refused", pending: "in progress" };

/** The security report's filter as a phrase, for the bulk preview and the job's page ("everyone active", …). */
import type { PostureFilter } from "../../posture/report.server";

const CHECK_WORDS: Record<string, string> = {
  fully_secured: "fully secured",
  cross_signing: "cross-signing",
  recovery: "recovery",
  key_backup: "key backup",
  no_unverified_sessions: "no unverified sessions",
};
const STATUS_WORDS: Record<string, string> = { ok: "passing", missing: "failing", unknown: "unknown for" };

export function filterInWords(f: PostureFilter): string {
  const parts: string[] = [];
  if (f.check) parts.push(`${STATUS_WORDS[f.status ?? "missing"]} “${CHECK_WORDS[f.check] ?? f.check}”`);
  else if (f.status) parts.push(`overall verdict ${f.status === "ok" ? "fully secured" : f.status === "missing" ? "not fully secured" : "unknown"}`);
  if (f.stale) parts.push("with a stale session");
  if (f.moreThan !== undefined) parts.push(`with more than ${f.moreThan} sessions`);
  if (f.q) parts.push(`matching “${f.q}”`);
  const who = f.include.length ? `active users and ${f.include.join(", ")} accounts` : "active users";
  return parts.length ? `${who} ${parts.join(", ")}` : `all ${who}`;
}

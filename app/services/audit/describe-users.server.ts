/**
 * Audit sentences for user actions (issue 15): one account or session (`user.<action>`, decision 014) and each
 * item of a bulk job (`user.bulk.<kind>`, decision 020). In the past tense when done; "tried to …" otherwise (the
 * outcome badge and the details say why).
 */
import type { AuditPart } from "./types";

const userLink = (s: string): AuditPart => ({ id: s, href: `/users/${encodeURIComponent(s)}` });
const jobLink = (n: unknown): AuditPart => ({ id: `bulk job ${n}`, href: `/bulk/${encodeURIComponent(String(n))}` });

export const USER_ACTION_LABELS: Record<string, string> = {
  "user.sign-out-device": "Session signed out",
  "user.sign-out-all": "Every session of a user signed out",
  "user.sign-out-stale": "Stale sessions of a user signed out",
  "user.lock": "Account locked",
  "user.unlock": "Account unlocked",
  "user.reset-password": "Password reset",
  "user.deactivate": "Account deactivated",
  "user.reactivate": "Account reactivated",
  "user.make-admin": "Server admin granted",
  "user.remove-admin": "Server admin removed",
  "user.send-notice": "Message sent to a user",
  "user.bulk.sign-out-unverified": "Unverified session signed out (bulk)",
  "user.bulk.sign-out-stale": "Stale session signed out (bulk)",
  "user.bulk.deactivate": "Account deactivated (bulk)",
  "user.bulk.resume": "Bulk job resumed",
};

/** The detail keys these sentences say (left out of the generic details). */
export const USER_DETAIL_KEYS = ["formId", "backend", "service", "sessionLabel", "summary", "deviceId", "deviceIds", "days", "erase", "signOutAll", "jobId", "signedOut"];

/** [what was done, what was tried]: the words after the actor. Null for an action that is not a user action. */
export function userActionSentence(action: string, target: string | null, d: Record<string, unknown>, done: boolean): AuditPart[] | null {
  if (!action.startsWith("user.")) return null;
  const who = target ? userLink(target) : "a user";
  const device = typeof d.deviceId === "string" ? d.deviceId : "?";
  const count = Array.isArray(d.deviceIds) ? d.deviceIds.length : 0;
  const sessions = `${count.toLocaleString("en")} session${count === 1 ? "" : "s"}`;
  const v = (past: string, inf: string) => (done ? past : `tried to ${inf}`);
  // Under MAS (decision 024) the authentication service acted, and "admin" is permission to request admin access.
  const mas = d.service === "mas";
  const atMas = mas ? " in the authentication service" : "";
  switch (action) {
    case "user.sign-out-device":
      if (mas && typeof d.sessionLabel === "string") return [` ${v("signed out", "sign out")} ${d.sessionLabel} of `, who, atMas];
      return [` ${v("signed out", "sign out")} session `, { id: device }, " of ", who, atMas];
    case "user.sign-out-all":
      return [` ${v("signed out", "sign out")} every session of `, who, atMas];
    case "user.sign-out-stale":
      return [` ${v("signed out", "sign out")} ${sessions} of `, who, ` unseen for more than ${d.days} days`, atMas];
    case "user.lock":
      return [` ${v("locked", "lock")} the account `, who, atMas];
    case "user.unlock":
      return [` ${v("unlocked", "unlock")} the account `, who, atMas];
    case "user.reset-password":
      if (!done) return [" tried to reset the password of ", who];
      return [" reset the password of ", who, d.signOutAll === false ? ", keeping their sessions" : " and signed out every session"];
    case "user.deactivate":
      return [` ${v("deactivated", "deactivate")} `, who, d.erase ? (done ? " and erased it" : " and erase it") : mas ? " (keeping messages and profile)" : "", atMas];
    case "user.reactivate":
      return [` ${v("reactivated", "reactivate")} `, who, mas ? atMas : " with a new password"];
    case "user.make-admin":
      return mas ? [` ${v("allowed", "allow")} `, who, " to request admin access"] : [` ${v("made", "make")} `, who, " a server admin"];
    case "user.remove-admin":
      return mas ? [` ${v("stopped", "stop")} `, who, " from requesting admin access"] : [` ${v("removed", "remove")} server admin from `, who];
    case "user.send-notice":
      return [` ${v("sent", "send")} a server notice to `, who];
    case "user.bulk.sign-out-unverified":
      return [` ${v("signed out", "sign out")} unverified session `, { id: device }, " of ", who, " in ", jobLink(d.jobId)];
    case "user.bulk.sign-out-stale":
      return [` ${v("signed out", "sign out")} stale session `, { id: device }, " of ", who, " in ", jobLink(d.jobId)];
    case "user.bulk.deactivate":
      return [` ${v("deactivated", "deactivate")} `, who, " in ", jobLink(d.jobId)];
    case "user.bulk.resume":
      return [` ${v("resumed", "resume")} `, jobLink(d.jobId)];
    default:
      return null;
  }
}

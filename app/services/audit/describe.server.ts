/**
 * Every audit entry as a sentence (issue 14, item 11): who did what to what, in the past tense, with its details in
 * words and dates — never raw JSON, epoch milliseconds or internal action names. An action this file does not know
 * yet (a new feature's) still reads as words: its name and details are spelled out generically.
 */
import { inArray } from "drizzle-orm";
import type { Db } from "../../../db/client";
import { auditEvents, postureNudges } from "../../../db/schema";

type AuditEvent = typeof auditEvents.$inferSelect;
import { CHECK_TITLES, type CheckId } from "../federation/self-check/checks.server";
import { dateTimeUtc } from "../format/time";
import type { AuditLine, AuditPart } from "./types";
import { USER_ACTION_LABELS, USER_DETAIL_KEYS, userActionSentence } from "./describe-users.server";

/** The actions the filter offers, with their names for people. */
export const AUDIT_ACTION_LABELS: Record<string, string> = {
  "auth.sign_in": "Sign-in",
  "auth.sign_out": "Sign-out",
  "auth.session_ended": "Session expired",
  "token.create": "Registration token issued",
  "token.update": "Registration token changed",
  "token.revoke": "Registration token revoked",
  "token.issue": "Registration token issued (authentication service)",
  "token.unrevoke": "Registration token restored",
  "token.adopt": "Registration token adopted",
  "register.complete": "Account registered with a token",
  "posture.nudge": "Users nudged",
  "posture.backup_login_as": "Key backup checked by logging in as the user",
  "federation.reset_connection": "Federation connection reset",
  "federation.self_check": "Federation self-check run",
  "collector.refresh": "Collection started by hand",
  ...USER_ACTION_LABELS,
};

const REASONS: Record<string, string> = {
  bad_password: "wrong username or password",
  bad_token: "the access token was not accepted",
  bad_username: "not a valid username",
  locked: "the account is locked",
  no_admin_api: "the homeserver's admin API is not available",
  no_password_login: "the homeserver does not offer password sign-in",
  not_admin: "the account is not a server admin",
  not_matrix: "the address is not a Matrix homeserver",
  rate_limited: "the homeserver was limiting attempts",
  server_error: "the homeserver answered with an error",
  timeout: "the homeserver did not answer in time",
  unexpected: "an unexpected error",
  unreachable: "the homeserver could not be reached",
  not_on_homeserver: "the homeserver has no such token",
  "already running": "a collection was already running",
};

const STATES: Record<string, string> = { healthy: "healthy", backing_off: "backing off", retry_due: "due for a retry", dead: "not retried any more" };
const COLLECTORS: Record<string, string> = {
  "user-counts": "user count",
  posture: "security scan",
  federation: "federation destinations collection",
  "self-check": "federation self-check",
  tokens: "registration token list read",
};

const id = (s: string | null | undefined): AuditPart => ({ id: s ?? "(unknown)" });
const userLink = (s: string): AuditPart => ({ id: s, href: `/users/${encodeURIComponent(s)}` });
const tokenLink = (s: string | null): AuditPart => (s ? { id: s, href: `/tokens/${encodeURIComponent(s)}` } : "a registration token");
/** A MAS token's entry links to its page by MAS's id (decision 025); older entries without the id are not links. */
const masTokenLink = (s: string | null, d: Record<string, unknown>): AuditPart =>
  typeof d.masId === "string" ? { id: s ?? d.masId, href: `/tokens/mas/${encodeURIComponent(d.masId)}` } : s ? { id: s } : "a registration token";
const reason = (r: unknown) => (typeof r === "string" ? (REASONS[r] ?? humanize(r)) : "no reason given");
const plural = (n: number, noun: string) => `${n.toLocaleString("en")} ${noun}${n === 1 ? "" : "s"}`;

function humanize(name: string): string {
  return name
    .replace(/([a-z])([A-Z])/g, "$1 $2")
    .replace(/[._-]+/g, " ")
    .toLowerCase()
    .trim();
}

/** A value in words: dates for epoch milliseconds and ISO strings, yes/no, lists joined. */
function valueWords(key: string, v: unknown): string {
  if (v === null || v === undefined) return "none";
  if (typeof v === "boolean") return v ? "yes" : "no";
  if (typeof v === "number" && /(time|ts|at)$/i.test(key) && v > 1e11) return dateTimeUtc(v);
  if (typeof v === "string" && /^\d{4}-\d{2}-\d{2}T/.test(v) && Number.isFinite(Date.parse(v))) return dateTimeUtc(Date.parse(v));
  if (typeof v === "number") return v.toLocaleString("en");
  if (Array.isArray(v)) return v.length ? v.map((x) => valueWords(key, x)).join(", ") : "none";
  if (typeof v === "object") return Object.entries(v as Record<string, unknown>).map(([k, x]) => `${humanize(k)} ${valueWords(k, x)}`).join(", ");
  return String(v);
}

/** Details no sentence below uses, spelled out ("request id" and batch ids are for operators: left out). */
function genericDetails(detail: Record<string, unknown>, skip: string[]): string[] {
  return Object.entries(detail)
    .filter(([k]) => !skip.includes(k) && !["batchId", "runId", "scanId", "requestId"].includes(k))
    .map(([k, v]) => (k === "error" ? `error: ${valueWords(k, v)}` : `${humanize(k)}: ${valueWords(k, v)}`));
}

/** What happened to the session's token on the homeserver ("ok" | "failed" | "skipped"; true/false in old entries). */
function logoutWords(outcome: unknown, device: string | null = null): string[] {
  const what = device ? `the access token was logged out on the homeserver and its device ${device} deleted` : "the access token was logged out on the homeserver";
  if (outcome === "ok" || outcome === true) return [what];
  if (outcome === "failed" || outcome === false) return [`the access token could not be logged out on the homeserver${device ? ` (device ${device} may remain)` : ""}`];
  if (outcome === "skipped") return ["the access token was the admin's own (pasted in), so it was left alone"];
  return [];
}

const usesWords = (u: unknown) => (u === null || u === undefined ? "unlimited uses" : plural(Number(u), "use") + " allowed");
const expiryWords = (e: unknown) => (e === null || e === undefined ? "never expires" : typeof e === "number" ? `expires ${dateTimeUtc(e)}` : `expires ${valueWords("expiryTime", e)}`);

export function describeAudit(e: Pick<AuditEvent, "id" | "at" | "actor" | "action" | "target" | "outcome" | "detail">): AuditLine {
  const d = (e.detail ?? {}) as Record<string, unknown>;
  const actor = userLink(e.actor);
  const failed = e.outcome === "error" || e.outcome === "refused";
  let sentence: AuditPart[];
  let details: string[] = [];
  let used: string[] = [];
  switch (e.action) {
    case "auth.sign_in":
      sentence = failed ? [actor, " tried to sign in to ", id(e.target)] : [actor, " signed in to ", id(e.target), d.method === "token" ? " with an access token" : d.method === "mas" ? " through the authentication service" : " with a password"];
      if (e.outcome === "refused") details.push(`refused: ${reason(d.reason)}`);
      if (typeof d.device === "string") details.push(d.deviceReused === true ? `on this browser's Steward device ${d.device} again` : `on a new Steward device, ${d.device}`);
      used = ["method", "reason", "device", "deviceReused"];
      break;
    case "auth.sign_out":
      sentence = [actor, " signed out"];
      details.push(...logoutWords(d.homeserverLogout));
      used = ["homeserverLogout"];
      break;
    case "auth.session_ended":
      sentence = [actor, d.reason === "idle" ? "'s Steward session ended after being idle too long" : "'s Steward session reached its time limit"];
      details.push(...logoutWords(d.homeserverLogout, typeof d.device === "string" ? d.device : null));
      used = ["reason", "homeserverLogout", "device"];
      break;
    case "token.create":
      sentence = failed ? [actor, " tried to issue registration token ", tokenLink(e.target)] : e.outcome === "pending" ? [actor, " is issuing registration token ", tokenLink(e.target)] : [actor, " issued registration token ", tokenLink(e.target)];
      if (typeof d.issuedFor === "string" && d.issuedFor) sentence.push(" for ", { id: d.issuedFor });
      if ("usesAllowed" in d) details.push(usesWords(d.usesAllowed));
      if ("expiryTime" in d) details.push(expiryWords(d.expiryTime));
      if (d.generated === true) details.push("text generated by Steward");
      if (d.generated === false) details.push("text chosen by the admin");
      used = ["issuedFor", "usesAllowed", "expiryTime", "generated"];
      break;
    case "token.update":
      if (d.service === "mas") {
        // MAS's token: addressed by its id; a usage limit of 0 means never valid there (decision 023).
        sentence = [actor, failed ? " tried to change registration token " : " changed registration token ", masTokenLink(e.target, d), " in the authentication service"];
        if ("usageLimit" in d) details.push(d.usageLimit === 0 ? "never valid (usage limit 0)" : usesWords(d.usageLimit));
        if ("expiresAt" in d) details.push(expiryWords(typeof d.expiresAt === "string" ? Date.parse(d.expiresAt) : d.expiresAt));
        used = ["service", "masId", "usageLimit", "expiresAt"];
        break;
      }
      sentence = [actor, failed ? " tried to change registration token " : " changed registration token ", tokenLink(e.target)];
      if ("usesAllowed" in d) details.push(usesWords(d.usesAllowed));
      if ("expiryTime" in d) details.push(expiryWords(d.expiryTime));
      used = ["usesAllowed", "expiryTime"];
      break;
    case "token.issue":
      // Issued in MAS (decision 023); the classic issue is token.create.
      sentence = [actor, failed ? " tried to issue registration token " : " issued registration token ", masTokenLink(e.target, d), " in the authentication service"];
      if (typeof d.issuedFor === "string" && d.issuedFor) sentence.push(" for ", { id: d.issuedFor });
      if ("usageLimit" in d) details.push(d.usageLimit === 0 ? "never valid (usage limit 0)" : usesWords(d.usageLimit));
      if ("expiresAt" in d) details.push(expiryWords(typeof d.expiresAt === "string" ? Date.parse(d.expiresAt) : d.expiresAt));
      used = ["service", "masId", "issuedFor", "usageLimit", "expiresAt"];
      break;
    case "token.unrevoke":
      sentence = [actor, failed ? " tried to restore registration token " : " restored registration token ", masTokenLink(e.target, d), " in the authentication service"];
      used = ["service", "masId"];
      break;
    case "token.revoke":
      if (d.service === "mas") {
        sentence = [actor, failed ? " tried to revoke registration token " : " revoked registration token ", masTokenLink(e.target, d), " in the authentication service"];
        used = ["service", "masId"];
        break;
      }
      sentence = [actor, failed ? " tried to revoke registration token " : " revoked registration token ", tokenLink(e.target)];
      if (d.alreadyGone === true) details.push("it was already gone from the homeserver");
      used = ["alreadyGone"];
      break;
    case "token.adopt":
      sentence = [actor, failed ? " tried to adopt registration token " : " adopted registration token ", tokenLink(e.target)];
      if (typeof d.issuedFor === "string" && d.issuedFor) sentence.push(" for ", { id: d.issuedFor });
      if (e.outcome === "refused") details.push(`refused: ${reason(d.reason)}`);
      used = ["issuedFor", "reason"];
      break;
    case "register.complete":
      sentence = [actor, " registered with registration token ", tokenLink(e.target)];
      break;
    case "posture.nudge": {
      const sent = Number(d.sent ?? 0);
      const total = sent + Number(d.failed ?? 0) + Number(d.skipped ?? 0);
      const one = e.target && e.target.startsWith("@") ? e.target : null;
      sentence = one ? [actor, " nudged ", userLink(one)] : [actor, ` nudged ${plural(total, "user")}`];
      sentence.push(" with a server notice");
      details.push(`${sent.toLocaleString("en")} sent`, `${Number(d.failed ?? 0).toLocaleString("en")} failed`, `${Number(d.skipped ?? 0).toLocaleString("en")} skipped (nudged recently)`);
      used = ["sent", "failed", "skipped", "templateId"];
      break;
    }
    case "posture.backup_login_as":
      sentence = [actor, " checked the key backup of ", userLink(e.target ?? ""), " by logging in as them"];
      if (typeof d.result === "string") details.push(d.result === "ok" ? "key backup found" : d.result === "missing" ? "no key backup" : "key backup unknown");
      used = ["result"];
      break;
    case "federation.reset_connection":
      sentence = [actor, failed ? " tried to reset the federation connection to " : " reset the federation connection to ", { id: e.target ?? "", href: e.target ? `/federation/${encodeURIComponent(e.target)}` : undefined }];
      if (typeof d.stateBefore === "string") details.push(`it was ${STATES[d.stateBefore] ?? humanize(d.stateBefore)} before`);
      used = ["stateBefore"];
      break;
    case "federation.self_check": {
      sentence = [actor, " ran the federation self-check of ", id(e.target)];
      const failing = Array.isArray(d.failing) ? (d.failing as string[]) : [];
      details.push(failing.length ? `failing: ${failing.map((c) => CHECK_TITLES[c as CheckId] ?? humanize(c)).join("; ")}` : d.status === "pass" ? "every check passed" : `result: ${humanize(String(d.status ?? "unknown"))}`);
      used = ["failing", "status"];
      break;
    }
    case "collector.refresh":
      sentence = [actor, ` started a ${COLLECTORS[e.target ?? ""] ?? humanize(e.target ?? "collection")} by hand`];
      if (e.outcome === "refused") details.push(`refused: ${reason(d.reason)}`);
      used = ["reason"];
      break;
    default: {
      const user = userActionSentence(e.action, e.target, d, e.outcome === "ok");
      if (user) {
        sentence = [actor, ...user];
        if (e.outcome === "refused") details.push(`refused: ${typeof d.reason === "string" ? d.reason : "no reason given"}`);
        used = [...USER_DETAIL_KEYS, "reason"];
        break;
      }
      sentence = [actor, ` — ${AUDIT_ACTION_LABELS[e.action] ?? humanize(e.action)}`, ...(e.target ? [": ", id(e.target)] : [])];
    }
  }
  details = [...details, ...genericDetails(d, used)];
  return { id: e.id, at: e.at.toISOString(), sentence, details, outcome: e.outcome as AuditLine["outcome"] };
}

/** Describes a page of entries and lists the users each bulk nudge touched (from the nudges it recorded). */
export async function describeAuditPage(db: Db, rows: AuditEvent[]): Promise<AuditLine[]> {
  const lines = rows.map(describeAudit);
  const batches = rows.map((r) => (r.action === "posture.nudge" ? ((r.detail ?? {}) as Record<string, unknown>).batchId : undefined)).filter((b): b is string => typeof b === "string");
  if (!batches.length) return lines;
  const nudges = await db
    .select({ batchId: postureNudges.batchId, userId: postureNudges.userId, status: postureNudges.status })
    .from(postureNudges)
    .where(inArray(postureNudges.batchId, [...new Set(batches)]))
    .orderBy(postureNudges.userId);
  rows.forEach((r, i) => {
    const batch = ((r.detail ?? {}) as Record<string, unknown>).batchId;
    if (r.action !== "posture.nudge" || typeof batch !== "string") return;
    lines[i].users = nudges.filter((n) => n.batchId === batch).map((n) => ({ userId: n.userId, result: n.status === "sent" ? "sent" : n.status === "failed" ? "failed" : "not sent yet" }));
  });
  return lines;
}

/**
 * Runs one user action: the guard rails again (never trust the form), a replayed form refused, a pending audit entry
 * first (decision 009), the backend call, then the entry settled to ok or error with the homeserver's error in words.
 */
import { randomBytes } from "node:crypto";
import { and, sql } from "drizzle-orm";
import type { Db } from "../../../../db/client";
import { auditEvents } from "../../../../db/schema";
import { describeHomeserverError } from "../../../homeserver";
import { isMasAdminError } from "../../../homeserver/mas/admin-http";
import { beginAudit, recordAudit, settleAudit } from "../../audit/events.server";
import type { UserActionName, UserActionsBackend } from "./backend";
import { refusal, summary, type ActionTarget, type Actor } from "./rules";

export type ActionRequest =
  | { action: "sign-out-device"; deviceId: string; sessionLabel?: string }
  | { action: "sign-out-stale"; deviceIds: string[]; days: number }
  | { action: "sign-out-all" | "lock" | "unlock" | "make-admin" | "remove-admin" }
  | { action: "reset-password"; password: string; signOutAll: boolean }
  | { action: "deactivate"; erase: boolean }
  /** null under MAS, which reactivates without a password. */
  | { action: "reactivate"; password: string | null }
  | { action: "send-notice"; text: string };

export type ActionResult =
  | { ok: true; signedOut?: string[] }
  | { ok: false; refused: boolean; error: string };

/** A fresh id for one confirmation form: submitting it twice acts once (the second is refused). */
export const newFormId = () => randomBytes(16).toString("base64url");

async function formAlreadyUsed(db: Db, formId: string): Promise<boolean> {
  const rows = await db
    .select({ id: auditEvents.id })
    .from(auditEvents)
    .where(and(sql`${auditEvents.action} like 'user.%'`, sql`${auditEvents.detail}->>'formId' = ${formId}`))
    .limit(1);
  return rows.length > 0;
}

export interface RunDeps {
  db: Db;
  backend: UserActionsBackend;
  actor: Actor;
  requestId?: string;
}

export async function runUserAction(deps: RunDeps, target: ActionTarget, req: ActionRequest, formId: string): Promise<ActionResult> {
  const { db, backend, actor } = deps;
  const action: UserActionName = req.action;
  const deviceId = req.action === "sign-out-device" ? req.deviceId : undefined;
  const erase = req.action === "deactivate" ? req.erase : undefined;
  const signOutAll = req.action === "reset-password" ? req.signOutAll : undefined;
  const stale = req.action === "sign-out-stale" ? { count: req.deviceIds.length, days: req.days } : {};
  const sessionLabel = req.action === "sign-out-device" ? req.sessionLabel : undefined;
  const service = backend.kind;
  const detail: Record<string, unknown> = {
    formId,
    backend: backend.kind,
    // Under MAS the audit says so (as token actions do): MAS acted, not Synapse.
    ...(service === "mas" ? { service } : {}),
    summary: summary(action, target.userId, { deviceId: sessionLabel ?? deviceId, erase, signOutAll, service, ...stale }),
    ...(sessionLabel ? { sessionLabel } : {}),
    ...(req.action === "sign-out-stale" ? { deviceIds: req.deviceIds, days: req.days } : {}),
    ...(deviceId !== undefined ? { deviceId } : {}),
    ...(erase !== undefined ? { erase } : {}),
    ...(signOutAll !== undefined ? { signOutAll } : {}),
  };
  const base = { actor: actor.userId, action: `user.${action}`, target: target.userId, requestId: deps.requestId };

  let why = !backend.supports(action) ? (backend.unsupportedReason(action) ?? "This homeserver's account service does not offer that action.") : refusal(action, target, actor, deviceId);
  const own = (k: string) => k === actor.deviceId || (actor.ownSessions?.includes(k) ?? false);
  if (!why && req.action === "sign-out-stale" && target.userId === actor.userId && req.deviceIds.some(own)) {
    why = "That list includes the session Steward itself uses; sign out of Steward instead.";
  }
  if (!why && req.action === "sign-out-stale" && req.deviceIds.length === 0) why = "There is no stale session to sign out.";
  if (!why && (await formAlreadyUsed(db, formId))) why = "This form was already submitted; nothing was done again. Open the action again to repeat it.";
  if (why) {
    // A replayed form is not audited again under the same formId (that entry already tells what happened).
    await recordAudit(db, { ...base, outcome: "refused", detail: { ...detail, formId: undefined, reason: why } });
    return { ok: false, refused: true, error: why };
  }

  const id = await beginAudit(db, { ...base, detail });
  try {
    let signedOut: string[] | undefined;
    switch (req.action) {
      case "sign-out-device":
        await backend.signOutDevice(target.userId, req.deviceId);
        break;
      case "sign-out-all":
        signedOut = await backend.signOutAll(target.userId);
        break;
      case "sign-out-stale":
        await backend.signOutDevices(target.userId, req.deviceIds);
        break;
      case "lock":
        await backend.lock(target.userId);
        break;
      case "unlock":
        await backend.unlock(target.userId);
        break;
      case "reset-password":
        await backend.resetPassword(target.userId, req.password, { signOutAll: req.signOutAll, keep: target.userId === actor.userId ? (actor.ownSessions ?? []) : [] });
        break;
      case "deactivate":
        await backend.deactivate(target.userId, { erase: req.erase });
        break;
      case "reactivate":
        await backend.reactivate(target.userId, req.password);
        break;
      case "make-admin":
        await backend.setAdmin(target.userId, true);
        break;
      case "remove-admin":
        await backend.setAdmin(target.userId, false);
        break;
      case "send-notice":
        await backend.sendNotice(target.userId, req.text, `steward-action-${formId}`);
        break;
    }
    await settleAudit(db, id, "ok", signedOut ? { signedOut } : {});
    return { ok: true, ...(signedOut ? { signedOut } : {}) };
  } catch (e) {
    if (e instanceof Response) {
      await settleAudit(db, id, "error", { error: "The session ended; sign in again." });
      throw e;
    }
    const error = describeActionError(e);
    await settleAudit(db, id, "error", { error });
    return { ok: false, refused: false, error };
  }
}

/** The failure in words: MAS's errors carry their own sentence (admin-http.ts), the homeserver's are described. */
export function describeActionError(e: unknown): string {
  return isMasAdminError(e) ? e.message : describeHomeserverError(e);
}

/** A password Steward generates (shown once): 20 characters from an unambiguous alphabet. */
export function generatePassword(): string {
  const alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
  const bytes = randomBytes(20);
  let s = "";
  for (const b of bytes) s += alphabet[b % alphabet.length];
  return s;
}

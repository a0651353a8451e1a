/**
 * Registration tokens on a homeserver that delegates accounts to MAS (issue 16, item 4): they live in MAS's admin
 * API, not Synapse's (which answers 404 there). This lists them, oldest first as MAS pages them, joined with
 * Steward's records by token text (for whom, note, issued by). MAS's own meaning is kept, not translated into
 * Synapse's: `usageLimit: 0` is never valid (no hazard), uses count completed registrations, revoked is a state
 * MAS can undo. Decision 023.
 */
import { eq, inArray } from "drizzle-orm";
import type { Db } from "../../../db/client";
import { registrationTokenRecords } from "../../../db/schema";
import type { HomeserverClient } from "../../homeserver";
import { masRegistrationTokens, type MasRegistrationToken, type MasRegistrationTokensApi } from "../../homeserver/mas/registration-tokens";
import { isMasAdminError } from "../../homeserver/mas/admin-http";
import { masServerInfo, type MasServerInfoApi } from "../../homeserver/mas/server-info";
import { recordAudit } from "../audit/events.server";
import { detectAuthMode, type AuthSetting } from "../auth/mode.server";
import type { MasTokenState, MasTokenView } from "./mas-types";
import { generateTokenText, type IssueInput } from "./rules.server";
import { masRegistrationPageUrl } from "./mas-invite.server";

type TokenRecord = typeof registrationTokenRecords.$inferSelect;

/** A MAS token as the pages show it, with Steward's record when there is one. */
export function masTokenView(t: MasRegistrationToken, rec: TokenRecord | undefined, now: number): MasTokenView {
  return {
    id: t.id,
    token: t.token,
    state: masTokenState(t, now),
    usageLimit: t.usageLimit,
    timesUsed: t.timesUsed,
    left: t.usageLimit === null ? null : Math.max(0, t.usageLimit - t.timesUsed),
    expiresAt: t.expiresAt?.getTime() ?? null,
    lastUsedAt: t.lastUsedAt?.getTime() ?? null,
    createdAt: t.createdAt.getTime(),
    revokedAt: t.revokedAt?.getTime() ?? null,
    issuedBy: rec?.issuedBy ?? null,
    issuedFor: rec?.issuedFor ?? null,
    note: rec?.note ?? null,
  };
}

type MasApiParams = { hs: HomeserverClient; setting: AuthSetting; homeserverUrl: string; accessToken: string; timeoutMs: number };

/** What the MAS token pages talk to: the token API, MAS's own facts (version, settings) and its registration page. */
export interface MasTokenApis {
  tokens: MasRegistrationTokensApi;
  info: MasServerInfoApi;
  /** MAS's issuer: the key its version is remembered under. */
  issuer: string;
  /** Where an invitee registers (services/tokens/mas-invite.server.ts). */
  registrationUrl: string;
}

/** MAS's clients for this admin when the homeserver delegates to MAS; null on classic Synapse. */
export async function masTokenApis(p: MasApiParams): Promise<MasTokenApis | null> {
  const mode = await detectAuthMode(p.hs, p.setting, { cacheKey: p.homeserverUrl });
  if (mode.mode !== "mas") return null;
  if (!mode.mas) throw new Error(mode.problem ?? "The homeserver did not say where its authentication service is.");
  const opts = { baseUrl: mode.mas.issuer, accessToken: p.accessToken, timeoutMs: p.timeoutMs };
  return { tokens: masRegistrationTokens(opts), info: masServerInfo(opts), issuer: mode.mas.issuer, registrationUrl: masRegistrationPageUrl(mode.mas) };
}

/** MAS's token client for this admin when the homeserver delegates to MAS; null on classic Synapse. */
export async function masTokensApi(p: MasApiParams): Promise<MasRegistrationTokensApi | null> {
  return (await masTokenApis(p))?.tokens ?? null;
}

export function masTokenState(t: MasRegistrationToken, now: number): MasTokenState {
  if (t.revokedAt) return "revoked";
  if (t.expiresAt && t.expiresAt.getTime() <= now) return "expired";
  if (t.usageLimit === 0) return "never_valid";
  if (t.usageLimit !== null && t.timesUsed >= t.usageLimit) return "used_up";
  return "valid";
}

export async function listMasTokens(db: Db, api: MasRegistrationTokensApi, now = Date.now()): Promise<MasTokenView[]> {
  const live = await api.listAll();
  const texts = live.map((t) => t.token);
  const records = texts.length ? await db.select().from(registrationTokenRecords).where(inArray(registrationTokenRecords.token, texts)) : [];
  const byText = new Map(records.map((r) => [r.token, r]));
  // Newest first, like the classic page: MAS pages oldest first (ids sort by creation time).
  return live.reverse().map((t) => masTokenView(t, byText.get(t.token), now));
}

/**
 * Revokes or restores a MAS token, audited either way. MAS's refusal (already revoked, gone, no rights, down) comes
 * back as a sentence for the page; nothing else is changed, so a failure loses nothing.
 */
export async function setMasTokenRevoked(
  db: Db,
  api: MasRegistrationTokensApi,
  p: { id: string; revoke: boolean; actor: string; requestId?: string },
): Promise<{ ok: true; token: string } | { ok: false; error: string }> {
  const action = p.revoke ? "token.revoke" : "token.unrevoke";
  try {
    const t = p.revoke ? await api.revoke(p.id) : await api.unrevoke(p.id);
    await recordAudit(db, { actor: p.actor, action, target: t.token, outcome: "ok", detail: { service: "mas", masId: t.id }, requestId: p.requestId });
    return { ok: true, token: t.token };
  } catch (e) {
    if (!isMasAdminError(e)) throw e;
    await recordAudit(db, { actor: p.actor, action, target: p.id, outcome: "error", detail: { service: "mas", error: e.message }, requestId: p.requestId });
    return { ok: false, error: e.message };
  }
}

/**
 * Issues a token in MAS with Steward's record (for whom, note, issued by). The text is chosen here (the admin's, or
 * generated like on classic Synapse) so the record can be written first: a crash between the two leaves a record
 * MAS does not list, never a token without its "for whom". MAS refusing (or failing) removes the record again; the
 * create is never retried, since a repeat could issue a second token.
 */
export async function issueMasToken(
  db: Db,
  api: MasRegistrationTokensApi,
  input: IssueInput,
  p: { actor: string; requestId?: string; now?: Date },
): Promise<{ ok: true; token: string; id: string } | { ok: false; errors: { form?: string; token?: string } }> {
  const now = p.now ?? new Date();
  const text = input.token ?? generateTokenText(input.length);
  const inserted = await db
    .insert(registrationTokenRecords)
    .values({ token: text, origin: "steward", issuedBy: p.actor, issuedFor: input.issuedFor, note: input.note, createdAt: now, usesAllowed: input.usesAllowed, expiryTime: input.expiryTime })
    .onConflictDoNothing()
    .returning({ token: registrationTokenRecords.token });
  if (!inserted.length) return { ok: false, errors: { token: "Steward already has a token with this text. Choose another, or leave it empty to generate one." } };
  const detail = { service: "mas", usageLimit: input.usesAllowed, expiresAt: input.expiryTime, issuedFor: input.issuedFor };
  let created: MasRegistrationToken;
  try {
    created = await api.create({ token: text, usageLimit: input.usesAllowed, expiresAt: input.expiryTime === null ? null : new Date(input.expiryTime) });
  } catch (e) {
    await db.delete(registrationTokenRecords).where(eq(registrationTokenRecords.token, text));
    if (!isMasAdminError(e)) throw e;
    await recordAudit(db, { actor: p.actor, action: "token.issue", target: text, outcome: "error", detail: { ...detail, error: e.message }, requestId: p.requestId });
    if (e.kind === "conflict") return { ok: false, errors: { token: "The authentication service already has a token with this text. Choose another, or leave it empty to generate one." } };
    return { ok: false, errors: { form: `The token was not issued. ${e.message}` } };
  }
  await recordAudit(db, { actor: p.actor, action: "token.issue", target: text, outcome: "ok", detail: { ...detail, masId: created.id }, requestId: p.requestId });
  return { ok: true, token: text, id: created.id };
}

/**
 * One registration token of MAS (issue 16, items 4 and 5; decision 025): its state in MAS's meaning, Steward's
 * record, the invite with MAS's registration steps, and editing its usage limit and expiry. The page is addressed
 * by MAS's id (a ULID), which is how MAS addresses a token — it has no lookup by token text — and which, unlike
 * the text, lets nobody register: the address can sit in logs and browser history.
 */
import { eq } from "drizzle-orm";
import type { Db } from "../../../db/client";
import { registrationTokenRecords } from "../../../db/schema";
import { isMasAdminError } from "../../homeserver/mas/admin-http";
import type { MasRegistrationToken } from "../../homeserver/mas/registration-tokens";
import type { MasRegistrationConfig } from "../../homeserver/mas/server-info";
import { recordAudit } from "../audit/events.server";
import { buildMasInvite, masVersionOf, type MasInvite } from "./mas-invite.server";
import { masTokenView, type MasTokenApis } from "./mas-tokens.server";
import type { MasTokenView } from "./mas-types";
import { parseExpiry, type FieldErrors, type Parsed } from "./rules.server";

export interface MasTokenPage {
  token: MasTokenView;
  /** Only while the token is valid: nobody can register with it otherwise. */
  invite: MasInvite | null;
  registrationUrl: string;
  /** Why an invitee could not use a valid token anyway (MAS's own settings), in words; null when nothing is wrong. */
  registrationProblem: string | null;
  /** MAS's version as it reported it, for the page's small print. */
  version: string | null;
}

/** What MAS's settings mean for an invitation, in words for the admin (null: nothing to warn about). */
export function registrationProblem(config: MasRegistrationConfig | null): string | null {
  if (!config) return null;
  if (!config.passwordRegistrationEnabled) {
    return "The authentication service does not let people create an account with a password (account.password_registration_enabled is off), so an invitee cannot use this invitation until it is turned on.";
  }
  if (!config.tokenRequired) {
    return "The authentication service does not ask for a registration token (account.password_registration_token_required is off): anyone who finds its registration page can create an account, and your invitee will not be asked for this code.";
  }
  return null;
}

const recordOf = async (db: Db, text: string) => (await db.select().from(registrationTokenRecords).where(eq(registrationTokenRecords.token, text)).limit(1))[0];

/** The page's data, or `notFound` when MAS has no token with this id. MAS failures throw MasAdminError. */
export async function loadMasTokenPage(db: Db, apis: MasTokenApis, id: string, p: { serverName: string; now?: number }): Promise<MasTokenPage | { notFound: true }> {
  const now = p.now ?? Date.now();
  let live: MasRegistrationToken;
  try {
    live = await apis.tokens.get(id);
  } catch (e) {
    if (isMasAdminError(e, "not_found")) return { notFound: true };
    throw e;
  }
  const view = masTokenView(live, await recordOf(db, live.token), now);
  // MAS's settings and version only shape the words; a MAS that will not say still gets a working (paste) invite.
  const [version, config] = await Promise.all([masVersionOf(apis.info, apis.issuer, now), apis.info.registrationConfig().catch(() => null)]);
  const invite = view.state === "valid" ? await buildMasInvite(live, view, { registrationUrl: apis.registrationUrl, serverName: p.serverName, version, config }) : null;
  return { token: view, invite, registrationUrl: apis.registrationUrl, registrationProblem: registrationProblem(config), version };
}

// ------------------------------------------------------------------ editing

/** MAS takes a u32 (mas-api.md §3.3), but Steward's record keeps the limit in an INT column: the smaller bound. */
const MAX_USAGE_LIMIT = 2_147_483_647;

export interface MasEditInput {
  /** null = unlimited; 0 = never valid (MAS's meaning, allowed: it pauses a token without revoking it). */
  usageLimit: number | null;
  /** undefined = keep the current expiry; null = never expires. */
  expiresAt?: number | null;
}

type Form = Record<string, FormDataEntryValue | undefined>;

/** The edit form: "Usage limit" (empty = unlimited, 0 allowed) and the expiry choices of the classic form. */
export function parseMasEditForm(f: Form, now: number): Parsed<MasEditInput> {
  const errors: FieldErrors = {};
  const raw = (typeof f.uses === "string" ? f.uses : "").trim();
  let usageLimit: number | null = null;
  if (raw !== "") {
    if (!/^\d+$/.test(raw)) errors.uses = "Enter a whole number (0 or more), or leave it empty for no limit.";
    else if (Number(raw) > MAX_USAGE_LIMIT) errors.uses = `Enter at most ${MAX_USAGE_LIMIT.toLocaleString("en")}, or leave it empty for no limit.`;
    else usageLimit = Number(raw);
  }
  const expiresAt = parseExpiry(f, now, errors, true);
  if (Object.keys(errors).length) return { ok: false, errors };
  return { ok: true, value: { usageLimit, ...(expiresAt !== undefined ? { expiresAt } : {}) } };
}

const iso = (ms: number | null | undefined) => (ms === null || ms === undefined ? null : new Date(ms).toISOString());

/**
 * Changes a MAS token's usage limit and (unless kept) its expiry, audited as `token.update` with `service: mas`.
 * MAS's refusal or failure comes back as a sentence and changes nothing — the form keeps what was typed. Steward's
 * record follows MAS's new values, so the record never claims a limit MAS no longer has.
 */
export async function updateMasToken(
  db: Db,
  apis: Pick<MasTokenApis, "tokens">,
  p: { id: string; input: MasEditInput; actor: string; requestId?: string },
): Promise<{ ok: true; token: string } | { ok: false; errors: FieldErrors }> {
  const { input } = p;
  let before: MasRegistrationToken;
  let after: MasRegistrationToken;
  try {
    before = await apis.tokens.get(p.id);
    after = await apis.tokens.update(p.id, {
      usageLimit: input.usageLimit,
      ...(input.expiresAt !== undefined ? { expiresAt: input.expiresAt === null ? null : new Date(input.expiresAt) } : {}),
    });
  } catch (e) {
    if (!isMasAdminError(e)) throw e;
    await recordAudit(db, {
      actor: p.actor,
      action: "token.update",
      target: p.id,
      outcome: "error",
      detail: { service: "mas", masId: p.id, usageLimit: input.usageLimit, ...(input.expiresAt !== undefined ? { expiresAt: iso(input.expiresAt) } : {}), error: e.message },
      requestId: p.requestId,
    });
    return { ok: false, errors: { form: `The token was not changed. ${e.message}` } };
  }
  await db
    .update(registrationTokenRecords)
    .set({ usesAllowed: after.usageLimit, expiryTime: after.expiresAt?.getTime() ?? null })
    .where(eq(registrationTokenRecords.token, after.token));
  await recordAudit(db, {
    actor: p.actor,
    action: "token.update",
    target: after.token,
    outcome: "ok",
    detail: {
      service: "mas",
      masId: after.id,
      usageLimit: after.usageLimit,
      expiresAt: iso(after.expiresAt?.getTime()),
      before: { usageLimit: before.usageLimit, expiresAt: iso(before.expiresAt?.getTime()) },
    },
    requestId: p.requestId,
  });
  return { ok: true, token: after.token };
}

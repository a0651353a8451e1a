/**
 * Registration tokens: the homeserver's tokens joined with Steward's record of them (issued by/for, note,
 * revoked). Edits and revocations go to the homeserver first, then to the record; listing reconciles the two, so a
 * lost record write shows up as "created outside Steward" rather than a token nobody can see. Issuing writes ahead
 * (tokens/issue.server.ts); listing settles issues a killed process left pending. Every change is audited.
 */
import { and, eq, inArray, isNull } from "drizzle-orm";
import type { Db } from "../../../db/client";
import { registrationTokenRecords } from "../../../db/schema";
import type { HomeserverClient, RegistrationToken } from "../../homeserver";
import { describeHomeserverError, isHomeserverError } from "../../homeserver/errors";
import { recordAudit } from "../audit/events.server";
import { repairPendingIssues } from "./issue-journal.server";
import {
  isZeroUsesHazard,
  tokenState,
  usesLeft,
  type EditInput,
  type FieldErrors,
  type IssueInput,
  type TokenState,
} from "./rules.server";

type TokenRecord = typeof registrationTokenRecords.$inferSelect;

export const DELETED_OUTSIDE = "(deleted outside Steward)";

export interface TokenDeps {
  db: Db;
  hs: HomeserverClient;
  now?: () => Date;
  requestId?: string;
}

/** One token as the pages show it. Times are ms (JSON-friendly). */
export interface TokenView {
  token: string;
  state: TokenState;
  /** `uses_allowed: 0` on the homeserver: still admits registrations. */
  hazard: boolean;
  onHomeserver: boolean;
  usesAllowed: number | null;
  pending: number;
  completed: number;
  left: number | null;
  expiryTime: number | null;
  origin: "steward" | "outside" | "adopted";
  issuedBy: string | null;
  issuedFor: string | null;
  note: string | null;
  createdAt: number;
  adoptedBy: string | null;
  revokedAt: number | null;
  revokedBy: string | null;
  /** Written ahead, not yet confirmed by the homeserver (an issue in flight, or one a repair will settle). */
  issuing: boolean;
  /**
   * null when the homeserver answered for this page (state and counters are live). Otherwise the row comes from
   * Steward's record while the homeserver is unavailable: state and counters are as of this time (its last sync).
   */
  asOf: number | null;
}

/** Shown when the token API is not mounted (MAS / OAuth delegation, or a proxy that hides it). */
export const TOKENS_UNAVAILABLE =
  "This homeserver does not offer Synapse's registration-token API (404 M_UNRECOGNIZED). That happens when it delegates " +
  "accounts to the Matrix Authentication Service (MAS): registration tokens are then managed in MAS, not here.";

const clock = (deps: TokenDeps) => (deps.now ? deps.now() : new Date());

function countersOf(t: RegistrationToken) {
  return { usesAllowed: t.usesAllowed, pending: t.pending, completed: t.completed, expiryTime: t.expiryTime };
}

export function toView(rec: TokenRecord | undefined, live: RegistrationToken | undefined, now: number): TokenView {
  const c = live ? countersOf(live) : { usesAllowed: rec?.usesAllowed ?? null, pending: rec?.pending ?? 0, completed: rec?.completed ?? 0, expiryTime: rec?.expiryTime ?? null };
  // Not on the homeserver: revoked, unless written ahead of an issue (then the requested state, shown as issuing).
  const state: TokenState = live || isPending(rec) ? tokenState(c, now) : "revoked";
  return {
    token: live?.token ?? rec!.token,
    state,
    hazard: live ? isZeroUsesHazard(c) : false,
    onHomeserver: Boolean(live),
    ...c,
    ...finished(state, c, now),
    origin: (rec?.origin as TokenView["origin"]) ?? "outside",
    issuedBy: rec?.issuedBy ?? null,
    issuedFor: rec?.issuedFor ?? null,
    note: rec?.note ?? null,
    createdAt: (rec?.createdAt ?? new Date(now)).getTime(),
    adoptedBy: rec?.adoptedBy ?? null,
    revokedAt: rec?.revokedAt?.getTime() ?? null,
    revokedBy: rec?.revokedBy ?? null,
    issuing: isPending(rec),
    asOf: null,
  };
}

/**
 * Uses left and expiry as a person reads them (issue 14): a revoked or expired token has nothing left, and a revoked
 * one no expiry to come (it was deleted; the expiry it had is moot).
 */
function finished(state: TokenState, c: { usesAllowed: number | null; pending: number; completed: number; expiryTime: number | null }, now: number) {
  if (state === "revoked") return { left: 0, expiryTime: c.expiryTime !== null && c.expiryTime <= now ? c.expiryTime : null };
  if (state === "expired") return { left: 0, expiryTime: c.expiryTime };
  return { left: usesLeft(c), expiryTime: c.expiryTime };
}

/**
 * A token from Steward's record alone (the homeserver is unavailable): what the last sync saw, never more. A
 * record not marked revoked was on the homeserver then; its state is computed from the counters stored then.
 */
export function storedView(rec: TokenRecord, now: number): TokenView {
  const c = { usesAllowed: rec.usesAllowed, pending: rec.pending, completed: rec.completed, expiryTime: rec.expiryTime };
  const gone = rec.revokedAt !== null;
  const state: TokenState = gone ? "revoked" : tokenState(c, now);
  return {
    ...toView(rec, undefined, now),
    state,
    ...finished(state, c, now),
    hazard: !gone && isZeroUsesHazard(c),
    onHomeserver: !gone && !isPending(rec),
    asOf: (rec.syncedAt ?? rec.createdAt).getTime(),
  };
}

/** The record of a token first seen on the homeserver (or seen again after it was revoked). */
function outsideRecord(t: RegistrationToken, now: Date) {
  return {
    token: t.token, origin: "outside", issuedBy: null, issuedFor: null, note: null, createdAt: now,
    adoptedBy: null, adoptedAt: null, revokedAt: null, revokedBy: null, ...countersOf(t), syncedAt: now,
  };
}

/** A record written ahead of an issue: only settling (or the repair) may change it; reconcile leaves it alone. */
const isPending = (r: TokenRecord | undefined) => Boolean(r?.issuePendingSince);

const sameCounters = (r: TokenRecord, t: RegistrationToken) =>
  r.usesAllowed === t.usesAllowed && r.pending === t.pending && r.completed === t.completed && r.expiryTime === t.expiryTime;

/** How old an unchanged token's `synced_at` may grow before a reconciliation stamps it again. */
export const SYNC_STAMP_MS = 60_000;

/**
 * Makes Steward's records agree with the homeserver's tokens: a token without a record gets one ("created
 * outside Steward"); a record whose token is gone is marked deleted; a token that reappeared after being
 * revoked starts a fresh record; counters are refreshed. Idempotent, safe to run on several replicas at once.
 */
export async function reconcileTokenRecords(db: Db, live: RegistrationToken[], now: Date): Promise<Map<string, TokenRecord>> {
  const records = new Map((await db.select().from(registrationTokenRecords)).map((r) => [r.token, r]));
  const liveNames = new Set(live.map((t) => t.token));
  const unchanged: string[] = [];
  for (const t of live) {
    const rec = records.get(t.token);
    // Its requested uses and expiry tell the repair whether the homeserver's token is ours: not overwritten here.
    if (isPending(rec)) continue;
    const counters = { ...countersOf(t), syncedAt: now };
    if (!rec || rec.revokedAt) {
      const fresh = outsideRecord(t, now);
      const [row] = rec
        ? await db.update(registrationTokenRecords).set(fresh).where(eq(registrationTokenRecords.token, t.token)).returning()
        : await db.insert(registrationTokenRecords).values(fresh).onConflictDoNothing().returning();
      if (row) records.set(t.token, row);
      else records.set(t.token, (await db.select().from(registrationTokenRecords).where(eq(registrationTokenRecords.token, t.token)))[0]);
    } else if (!sameCounters(rec, t)) {
      await db.update(registrationTokenRecords).set(counters).where(eq(registrationTokenRecords.token, t.token));
      records.set(t.token, { ...rec, ...counters });
    } else unchanged.push(t.token);
  }
  // `synced_at` says when the stored counters were last confirmed, which is what the pages show while the
  // homeserver is unavailable ("as of …"): one statement for every token whose counters did not change. A stamp
  // younger than SYNC_STAMP_MS is left as it is: every write is a change of page data, which empties the page cache
  // and the kept counts for every admin (decision 027), and each visit to the tokens list used to write one. The
  // stored "last synced" may then read up to that much older than the last confirmation, never newer.
  const due = unchanged.filter((name) => {
    const at = records.get(name)!.syncedAt;
    return at === null || now.getTime() - at.getTime() >= SYNC_STAMP_MS;
  });
  if (due.length) {
    await db
      .update(registrationTokenRecords)
      .set({ syncedAt: now })
      .where(and(inArray(registrationTokenRecords.token, due), isNull(registrationTokenRecords.revokedAt)));
    for (const name of due) records.set(name, { ...records.get(name)!, syncedAt: now });
  }
  for (const rec of records.values()) {
    if (rec.revokedAt || liveNames.has(rec.token) || isPending(rec)) continue;
    const gone = { revokedAt: now, revokedBy: DELETED_OUTSIDE };
    await db.update(registrationTokenRecords).set(gone).where(eq(registrationTokenRecords.token, rec.token));
    records.set(rec.token, { ...rec, ...gone });
  }
  return records;
}

/** Every token: the homeserver's, plus revoked ones Steward remembers. Newest first. */
export async function listTokens(deps: TokenDeps): Promise<TokenView[]> {
  const now = clock(deps);
  const live = await deps.hs.tokens.list();
  // Settles issues a killed process left pending, from this very list (no extra requests).
  await repairPendingIssues({ db: deps.db, hs: deps.hs, now: () => now, live });
  const records = await reconcileTokenRecords(deps.db, live, now);
  const byName = new Map(live.map((t) => [t.token, t]));
  return [...records.values()]
    .map((r) => toView(r, byName.get(r.token), now.getTime()))
    .sort((a, b) => b.createdAt - a.createdAt || a.token.localeCompare(b.token));
}

export interface TokenFilter {
  state?: TokenState | "hazard" | "outside";
  q?: string;
}

export function filterTokens(rows: TokenView[], f: TokenFilter): TokenView[] {
  const q = f.q?.trim().toLowerCase();
  return rows.filter((r) => {
    if (f.state === "hazard" ? !r.hazard : f.state === "outside" ? r.origin !== "outside" || !r.onHomeserver : f.state && r.state !== f.state) return false;
    if (q && ![r.token, r.issuedFor ?? "", r.note ?? ""].some((s) => s.toLowerCase().includes(q))) return false;
    return true;
  });
}

/** One token for its page: live from the homeserver, or Steward's record of a revoked one; null if unknown. */
export async function getToken(deps: TokenDeps, token: string): Promise<TokenView | null> {
  const now = clock(deps);
  let live: RegistrationToken | undefined;
  try {
    live = await deps.hs.tokens.get(token);
  } catch (e) {
    if (!isHomeserverError(e, "not_found")) throw e;
  }
  let [rec] = await deps.db.select().from(registrationTokenRecords).where(eq(registrationTokenRecords.token, token));
  // Reconciled when live: it also confirms `synced_at` (what the page shows while the homeserver is away).
  if (live && !isPending(rec)) rec = (await reconcileTokenRecordsFor(deps.db, live, now)) ?? rec;
  if (!live && rec && !rec.revokedAt && !isPending(rec)) {
    await deps.db.update(registrationTokenRecords).set({ revokedAt: now, revokedBy: DELETED_OUTSIDE }).where(eq(registrationTokenRecords.token, token));
    rec = { ...rec, revokedAt: now, revokedBy: DELETED_OUTSIDE };
  }
  if (!live && !rec) return null;
  return toView(rec, live, now.getTime());
}

/** reconcileTokenRecords for a single live token (the detail page must not list everything). */
async function reconcileTokenRecordsFor(db: Db, t: RegistrationToken, now: Date): Promise<TokenRecord | undefined> {
  const [rec] = await db.select().from(registrationTokenRecords).where(eq(registrationTokenRecords.token, t.token));
  const counters = { ...countersOf(t), syncedAt: now };
  if (rec && !rec.revokedAt) {
    // Nothing to confirm that a recent stamp does not already say (see SYNC_STAMP_MS): no write, no page data change.
    if (sameCounters(rec, t) && rec.syncedAt && now.getTime() - rec.syncedAt.getTime() < SYNC_STAMP_MS) return rec;
    const [row] = await db.update(registrationTokenRecords).set(counters).where(eq(registrationTokenRecords.token, t.token)).returning();
    return row;
  }
  const fresh = outsideRecord(t, now);
  const [row] = rec
    ? await db.update(registrationTokenRecords).set(fresh).where(eq(registrationTokenRecords.token, t.token)).returning()
    : await db.insert(registrationTokenRecords).values(fresh).onConflictDoNothing().returning();
  return row;
}

export type WriteResult<T> =
  | { ok: true; value: T; warning?: string; /** This form had issued it already: nothing new was made. */ repeated?: boolean }
  | { ok: false; errors: FieldErrors };

function failure(e: unknown): FieldErrors {
  if (isHomeserverError(e, "unrecognized")) return { form: TOKENS_UNAVAILABLE };
  return { form: describeHomeserverError(e) };
}

/** Changes uses and/or expiry on the homeserver, then refreshes the record. */
export async function updateToken(deps: TokenDeps, token: string, input: EditInput, actor: string): Promise<WriteResult<TokenView>> {
  const { db, hs, requestId } = deps;
  const detail = { usesAllowed: input.usesAllowed, ...(input.expiryTime !== undefined ? { expiryTime: input.expiryTime } : {}) };
  let updated: RegistrationToken;
  try {
    updated = await hs.tokens.update(token, input);
  } catch (e) {
    await recordAudit(db, { actor, action: "token.update", target: token, outcome: "error", detail: { ...detail, error: describeHomeserverError(e) }, requestId });
    if (isHomeserverError(e, "not_found")) return { ok: false, errors: { form: "This token no longer exists on the homeserver." } };
    return { ok: false, errors: failure(e) };
  }
  const now = clock(deps);
  const rec = await reconcileTokenRecordsFor(db, updated, now);
  await recordAudit(db, { actor, action: "token.update", target: token, outcome: "ok", detail, requestId });
  return { ok: true, value: toView(rec, updated, now.getTime()) };
}

/**
 * Revokes by DELETE on the homeserver — never by `uses_allowed: 0`, which Synapse still accepts at /register.
 * A token already gone counts as revoked. The record stays, marked revoked by whom and when.
 */
export async function revokeToken(deps: TokenDeps, token: string, actor: string): Promise<WriteResult<{ alreadyGone: boolean }>> {
  const { db, hs, requestId } = deps;
  let alreadyGone = false;
  try {
    await hs.tokens.delete(token);
  } catch (e) {
    if (!isHomeserverError(e, "not_found")) {
      await recordAudit(db, { actor, action: "token.revoke", target: token, outcome: "error", detail: { error: describeHomeserverError(e) }, requestId });
      return { ok: false, errors: failure(e) };
    }
    alreadyGone = true;
  }
  const now = clock(deps);
  const revoked = { revokedAt: now, revokedBy: actor };
  await db
    .insert(registrationTokenRecords)
    .values({ token, origin: "outside", createdAt: now, ...revoked })
    .onConflictDoUpdate({ target: registrationTokenRecords.token, set: revoked });
  await recordAudit(db, { actor, action: "token.revoke", target: token, outcome: "ok", detail: { alreadyGone }, requestId });
  return { ok: true, value: { alreadyGone } };
}

/** Gives a token created outside Steward a recipient and a note. */
export async function adoptToken(
  deps: TokenDeps,
  token: string,
  input: { issuedFor: string | null; note: string | null },
  actor: string,
): Promise<WriteResult<TokenView>> {
  let current: TokenView | null;
  try {
    current = await getToken(deps, token);
  } catch (e) {
    // Adopting records who a token is for; without the homeserver's word that it exists, nothing is recorded.
    if (!isHomeserverError(e)) throw e;
    await recordAudit(deps.db, { actor, action: "token.adopt", target: token, outcome: "error", detail: { error: describeHomeserverError(e) }, requestId: deps.requestId });
    return { ok: false, errors: failure(e) };
  }
  if (!current || !current.onHomeserver) {
    await recordAudit(deps.db, { actor, action: "token.adopt", target: token, outcome: "refused", detail: { reason: "not_on_homeserver" }, requestId: deps.requestId });
    return { ok: false, errors: { form: "This token no longer exists on the homeserver." } };
  }
  const now = clock(deps);
  const set = { issuedFor: input.issuedFor, note: input.note, adoptedBy: actor, adoptedAt: now, ...(current.origin === "outside" ? { origin: "adopted" } : {}) };
  await deps.db.update(registrationTokenRecords).set(set).where(eq(registrationTokenRecords.token, token));
  await recordAudit(deps.db, { actor, action: "token.adopt", target: token, outcome: "ok", detail: { issuedFor: input.issuedFor }, requestId: deps.requestId });
  return { ok: true, value: { ...current, issuedFor: input.issuedFor, note: input.note, adoptedBy: actor, origin: (set.origin as TokenView["origin"]) ?? current.origin } };
}

/**
 * Issuing a registration token, crash-safe (decision 009): the text is fixed by Steward (the admin's, or one
 * generated here), checked absent on the homeserver, then the record and a `pending` audit entry are written ahead
 * of the homeserver call and settled after it. Whatever moment the process dies at, the next repair
 * (tokens/issue-journal.server.ts) finds the pair and settles it from what the homeserver has: no lost audit entry,
 * no token without its recipient.
 */
import type { RegistrationToken } from "../../homeserver";
import { describeHomeserverError, isHomeserverError, type HomeserverErrorKind } from "../../homeserver/errors";
import { recordAudit } from "../audit/events.server";
import { isOurToken, issuedFromForm, repairPendingIssues, settleFailed, settleIssued, writeAhead, type IssueIntent, type PendingIssue } from "./issue-journal.server";
import { DEFAULT_GENERATED_LENGTH, generateTokenText, type IssueInput } from "./rules.server";
import { TOKENS_UNAVAILABLE, toView, type TokenDeps, type TokenView, type WriteResult } from "./tokens.server";

const DUPLICATE = "A token with this text already exists. Choose another, or leave it empty to generate one.";
/** Tries for a free generated text: only short lengths can collide at all. */
const GENERATE_TRIES = 5;

/**
 * Answers from the homeserver that say it refused the request, so nothing was created. Anything else (no answer,
 * a timeout, a 5xx, an answer Steward cannot read) leaves open whether the token exists.
 */
const REFUSALS: HomeserverErrorKind[] = ["invalid_param", "bad_request", "forbidden", "unknown_token", "missing_token", "unrecognized", "not_found", "rate_limited"];

const clock = (deps: TokenDeps) => (deps.now ? deps.now() : new Date());

function failure(e: unknown) {
  if (isHomeserverError(e, "unrecognized")) return { form: TOKENS_UNAVAILABLE };
  return { form: describeHomeserverError(e) };
}

/** The token, or null when the homeserver has none with this text; other errors propagate. */
async function lookup(deps: TokenDeps, token: string): Promise<RegistrationToken | null> {
  try {
    return await deps.hs.tokens.get(token);
  } catch (e) {
    if (isHomeserverError(e, "not_found")) return null;
    throw e;
  }
}

/** The token this form already issued, as a result (a repeated POST of the same form: issue 14). */
async function alreadyIssued(deps: TokenDeps, formId: string | undefined): Promise<WriteResult<TokenView> | null> {
  if (!formId) return null;
  const rec = await issuedFromForm(deps.db, formId);
  if (!rec) return null;
  return { ok: true, value: { ...toView(rec, undefined, clock(deps).getTime()), onHomeserver: true }, repeated: true };
}

export async function issueToken(deps: TokenDeps, input: IssueInput, actor: string): Promise<WriteResult<TokenView>> {
  const { db, requestId } = deps;
  // The same form posted again (double click, or a resubmit without JavaScript): its token, not a second one.
  const earlier = await alreadyIssued(deps, input.formId);
  if (earlier) return earlier;
  const audit = (outcome: "error" | "refused", target: string | null, detail: Record<string, unknown>) =>
    recordAudit(db, { actor, action: "token.create", target, outcome, detail, requestId });
  // Leftovers of a killed process first: one of them may hold this very text.
  await repairPendingIssues(deps).catch(() => undefined);

  // 1. The text, and the homeserver's word that it has no such token yet: what the repair relies on to tell our
  //    token from someone else's.
  const generated = !input.token;
  let token: string | null = null;
  for (let i = 0; i < (generated ? GENERATE_TRIES : 1) && token === null; i++) {
    const candidate = input.token ?? generateTokenText(input.length ?? DEFAULT_GENERATED_LENGTH);
    let existing: RegistrationToken | null;
    try {
      existing = await lookup(deps, candidate);
    } catch (e) {
      await audit("error", input.token ?? null, { error: describeHomeserverError(e) });
      return { ok: false, errors: failure(e) };
    }
    if (!existing) token = candidate;
    else if (!generated) {
      await audit("refused", candidate, { reason: "duplicate" });
      return { ok: false, errors: { token: DUPLICATE } };
    }
  }
  if (token === null) {
    await audit("error", null, { error: "no free token text", length: input.length });
    return { ok: false, errors: { length: "Almost every token of this length exists already. Choose a longer length." } };
  }

  // 2. Written ahead: the record (with whom it is for) and a pending audit entry.
  const intent: IssueIntent = {
    token, actor, issuedFor: input.issuedFor, note: input.note, usesAllowed: input.usesAllowed, expiryTime: input.expiryTime, generated, requestId,
    ...(input.formId ? { formId: input.formId } : {}),
  };
  let pending: PendingIssue | null;
  try {
    pending = await writeAhead(db, intent, clock(deps));
  } catch (e) {
    // Two POSTs of one form at the same moment: the form id is unique, so the second write-ahead fails here.
    const other = await alreadyIssued(deps, input.formId);
    if (other) return other;
    throw e;
  }
  if (!pending) {
    await audit("refused", token, { reason: "in_progress" });
    return { ok: false, errors: { token: "A token with this text is being issued right now. Wait a moment, then look for it in the list." } };
  }

  // 3. The homeserver call, then settle.
  let created: RegistrationToken;
  try {
    created = await deps.hs.tokens.create({ token, usesAllowed: input.usesAllowed, expiryTime: input.expiryTime });
  } catch (e) {
    return settleAfterError(deps, intent, pending, e);
  }
  return confirmed(deps, intent, pending, created, {});
}

async function confirmed(deps: TokenDeps, intent: IssueIntent, pending: PendingIssue, created: RegistrationToken, patch: Record<string, unknown>): Promise<WriteResult<TokenView>> {
  const now = clock(deps);
  try {
    const rec = await settleIssued(deps.db, pending, created, now, patch, intent);
    return { ok: true, value: toView(rec, created, now.getTime()) };
  } catch (e) {
    // The token exists and its record and pending entry are saved: the next repair confirms them.
    return {
      ok: true,
      value: { ...toView(undefined, created, now.getTime()), origin: "steward", issuedBy: intent.actor, issuedFor: intent.issuedFor, note: intent.note },
      warning: `The token was created on the homeserver, but Steward could not confirm its record (${(e as Error).message.slice(0, 200)}). It does so by itself within a few minutes.`,
    };
  }
}

/**
 * The create failed. A refusal settles the issue as failed. Otherwise the token may or may not exist: ask. When
 * even that fails, the pair stays pending and the repair settles it once the homeserver answers again.
 */
async function settleAfterError(deps: TokenDeps, intent: IssueIntent, pending: PendingIssue, e: unknown): Promise<WriteResult<TokenView>> {
  const reason = describeHomeserverError(e);
  // "Token already exists": someone created this text between the check and the create. Not ours.
  if (isHomeserverError(e, "invalid_param")) {
    const other = await lookup(deps, intent.token).catch(() => null);
    if (other) {
      await settleFailed(deps.db, pending, "refused", { reason: "duplicate" });
      return { ok: false, errors: intent.generated ? { form: "A token with the generated text was created elsewhere at the same moment. Issue again." } : { token: DUPLICATE } };
    }
  }
  if (isHomeserverError(e, REFUSALS)) {
    await settleFailed(deps.db, pending, "error", { error: reason });
    return { ok: false, errors: failure(e) };
  }
  let found: RegistrationToken | null;
  try {
    found = await lookup(deps, intent.token);
  } catch {
    return {
      ok: false,
      errors: { form: `${reason} Steward cannot tell yet whether the token was created; it checks again by itself and records the outcome (see the token list and the audit log).` },
    };
  }
  if (found && isOurToken(intent, found)) return confirmed(deps, intent, pending, found, { confirmedAfter: reason });
  await settleFailed(deps.db, pending, "error", { error: reason });
  return { ok: false, errors: failure(e) };
}

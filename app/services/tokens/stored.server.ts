/**
 * The token pages while the homeserver is unavailable (down, slow, 5xx, rate limiting, garbage): they render from
 * Steward's records (`registration_token_records`, counters as of `synced_at`) with the reason and the time of the
 * last sync, instead of only an error. Rows from records never claim live state (`TokenView.asOf`).
 *
 * Not a fallback for everything: a homeserver without the token API (MAS) keeps its own explanation, and a token
 * the homeserver no longer accepts must still end the session (withHomeserver) — both errors are rethrown.
 */
import { eq, max } from "drizzle-orm";
import type { Db } from "../../../db/client";
import { registrationTokenRecords } from "../../../db/schema";
import { describeHomeserverError, isHomeserverError } from "../../homeserver/errors";
import { collectorStatus } from "../collectors/framework.server";
import { getToken, listTokens, storedView, type TokenDeps, type TokenView } from "./tokens.server";

/** Why the page shows stored records, and when they were last confirmed by the homeserver (ms, or null: never). */
export interface StoredNotice {
  reason: string;
  syncedAt: number | null;
}

/** Homeserver errors the pages answer from records; anything else (MAS, a dead session, the database) propagates. */
function storedFallbackFor(e: unknown): boolean {
  return isHomeserverError(e) && !isHomeserverError(e, ["unrecognized", "unknown_token", "missing_token"]);
}

/** When Steward last heard the homeserver's token list: a page that listed it, or the tokens collector. */
export async function lastTokenSync(db: Db): Promise<number | null> {
  const [[row], [tokens]] = await Promise.all([
    db.select({ at: max(registrationTokenRecords.syncedAt) }).from(registrationTokenRecords),
    collectorStatus(db, ["tokens"]),
  ]);
  const times = [row?.at, tokens.lastSuccess?.finishedAt].filter((d): d is Date => d instanceof Date).map((d) => d.getTime());
  return times.length ? Math.max(...times) : null;
}

/** Every token, live; or, while the homeserver is unavailable, every stored record with the reason. */
export async function listTokensOrStored(deps: TokenDeps): Promise<{ rows: TokenView[]; stored: StoredNotice | null }> {
  try {
    return { rows: await listTokens(deps), stored: null };
  } catch (e) {
    if (!storedFallbackFor(e)) throw e;
    const now = (deps.now ? deps.now() : new Date()).getTime();
    const [records, syncedAt] = await Promise.all([
      deps.db.select().from(registrationTokenRecords),
      lastTokenSync(deps.db),
    ]);
    // The live list's order (newest first), so paging does not reshuffle when the homeserver comes and goes.
    const rows = records.map((r) => storedView(r, now)).sort((a, b) => b.createdAt - a.createdAt || a.token.localeCompare(b.token));
    return { rows, stored: { reason: describeHomeserverError(e), syncedAt } };
  }
}

/**
 * One token, live; or Steward's record of it while the homeserver is unavailable. null when neither knows it; the
 * homeserver's error is rethrown when it is unavailable and Steward has no record (nothing to show but the reason).
 */
export async function getTokenOrStored(deps: TokenDeps, token: string): Promise<{ view: TokenView | null; stored: StoredNotice | null }> {
  try {
    return { view: await getToken(deps, token), stored: null };
  } catch (e) {
    if (!storedFallbackFor(e)) throw e;
    const [rec] = await deps.db.select().from(registrationTokenRecords).where(eq(registrationTokenRecords.token, token));
    if (!rec) throw e;
    const now = (deps.now ? deps.now() : new Date()).getTime();
    const view = storedView(rec, now);
    return { view, stored: { reason: describeHomeserverError(e), syncedAt: view.asOf } };
  }
}

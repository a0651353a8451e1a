/**
 * Steward manages exactly one homeserver (decision 019). Its URL is stored beside the data: when HOMESERVER_URL
 * changes, every session (each holds a token of the old server) ends, and the admin is told that the history stored
 * so far belongs to the previous server.
 */
import { eq, inArray } from "drizzle-orm";
import type { Db } from "../../../db/client";
import { adminSessions, stewardMeta } from "../../../db/schema";
import { recordAudit } from "../audit/events.server";
import { normaliseHomeserverUrl } from "./sign-in.server";

const KEY = "homeserver";

export interface HomeserverBinding {
  url: string;
  /** The homeserver the data stored before `changedAt` belongs to, when the configured one changed. */
  previousUrl: string | null;
  changedAt: Date | null;
}

/** The same homeserver, however its address is spelled (case of the host, a trailing slash). */
export function sameHomeserver(a: string, b: string): boolean {
  return (normaliseHomeserverUrl(a) ?? a) === (normaliseHomeserverUrl(b) ?? b);
}

interface Stored {
  url?: string;
  previousUrl?: string | null;
  changedAt?: string | null;
}

/**
 * Called at start: records the configured homeserver, and when it differs from the stored one, ends every session
 * and remembers the previous server (audited). Returns the binding now in force.
 */
export async function bindHomeserver(db: Db, configuredUrl: string, now = new Date()): Promise<HomeserverBinding & { changed: boolean }> {
  return db.transaction(async (tx) => {
    const [row] = await tx.select().from(stewardMeta).where(eq(stewardMeta.key, KEY)).for("update");
    const stored = (row?.value ?? {}) as Stored;
    if (stored.url && sameHomeserver(stored.url, configuredUrl)) {
      return { url: stored.url, previousUrl: stored.previousUrl ?? null, changedAt: stored.changedAt ? new Date(stored.changedAt) : null, changed: false };
    }
    // A first start of an installation from before this row existed: its sessions may hold another server's token.
    const previousUrl = stored.url ?? null;
    // Sessions of another server end; an upgraded installation's sessions of this very server stay.
    const sessions = await tx.select({ idHash: adminSessions.idHash, homeserverUrl: adminSessions.homeserverUrl }).from(adminSessions);
    const foreign = sessions.filter((s) => !sameHomeserver(s.homeserverUrl, configuredUrl));
    if (foreign.length) await tx.delete(adminSessions).where(inArray(adminSessions.idHash, foreign.map((s) => s.idHash)));
    const value: Stored = { url: configuredUrl, previousUrl, changedAt: previousUrl ? now.toISOString() : null };
    await tx
      .insert(stewardMeta)
      .values({ key: KEY, value: value as Record<string, unknown>, updatedAt: now })
      .onConflictDoUpdate({ target: stewardMeta.key, set: { value: value as Record<string, unknown>, updatedAt: now } });
    if (previousUrl || foreign.length) {
      await recordAudit(tx as unknown as Db, {
        actor: "steward",
        action: "homeserver.changed",
        target: configuredUrl,
        outcome: "ok",
        detail: { previous: previousUrl, sessionsEnded: foreign.length },
        at: now,
      });
    }
    return { url: configuredUrl, previousUrl, changedAt: previousUrl ? now : null, changed: previousUrl !== null };
  });
}

export async function readHomeserverBinding(db: Db): Promise<HomeserverBinding | null> {
  const [row] = await db.select().from(stewardMeta).where(eq(stewardMeta.key, KEY));
  if (!row) return null;
  const v = row.value as Stored;
  return { url: v.url ?? "", previousUrl: v.previousUrl ?? null, changedAt: v.changedAt ? new Date(v.changedAt) : null };
}

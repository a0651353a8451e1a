/** Prometheus gauges for registration tokens, from Steward's records (as of the last list or collector pass). */
import { eq } from "drizzle-orm";
import type { Db } from "../../../db/client";
import { masSessionGrants, registrationTokenRecords, registrationTokenSnapshots } from "../../../db/schema";
import type { Kpi } from "../overview/kpis.server";
import { utcDay } from "./snapshots.server";
import { isZeroUsesHazard, tokenState, type TokenState } from "./rules.server";

interface GaugeFamily {
  name: string;
  help: string;
  samples: { labels: Record<string, string>; value: number }[];
}

export async function tokenGauges(db: Db, now: Date): Promise<GaugeFamily[]> {
  const rows = await db.select().from(registrationTokenRecords);
  const counts: Record<TokenState, number> = { valid: 0, expired: 0, used_up: 0, revoked: 0 };
  let hazards = 0;
  let completed = 0;
  for (const r of rows) {
    if (r.issuePendingSince) continue; // written ahead of an issue: not known to exist yet (decision 009)
    const c = { usesAllowed: r.usesAllowed, pending: r.pending, completed: r.completed, expiryTime: r.expiryTime };
    counts[r.revokedAt ? "revoked" : tokenState(c, now.getTime())]++;
    if (!r.revokedAt && isZeroUsesHazard(c)) hazards++;
    completed += r.completed;
  }
  return [
    {
      name: "steward_registration_tokens",
      help: "Registration tokens known to Steward, by state (valid, expired, used_up, revoked).",
      samples: (Object.keys(counts) as TokenState[]).map((state) => ({ labels: { state }, value: counts[state] })),
    },
    {
      name: "steward_registration_token_hazards",
      help: "Tokens with uses_allowed 0: listed as invalid by Synapse, yet still accepted at registration. Revoke them.",
      samples: [{ labels: {}, value: hazards }],
    },
    {
      name: "steward_registration_token_completed_total",
      help: "Registrations completed with all tokens Steward knows (as last synced).",
      samples: [{ labels: {}, value: completed }],
    },
  ];
}

const WEEK_MS = 7 * 86_400_000;

/**
 * The overview's "Registration tokens valid" card, from Steward's records (as of the last token list or collector
 * pass) — the overview never asks the homeserver. The delta compares with the daily snapshot of a week before:
 * a token counted then existed, was not yet revoked, and was valid by that day's counters and its expiry.
 */
export async function tokenKpis({ db, now }: { db: Db; now: Date }): Promise<Kpi[]> {
  const rows = await db.select().from(registrationTokenRecords);
  // A token whose issue is still pending (written ahead of the homeserver call) is not known to exist yet.
  const synced = rows.filter((r) => r.syncedAt !== null && r.issuePendingSince === null);
  if (!synced.length) {
    // Under MAS the tokens collector has nothing to read (Synapse's token API is not mounted) and MAS's tokens are
    // not synced here, so "wait for the collector" would never come true: an admin signed in through MAS is told
    // where the tokens are instead. (The overview reads Steward's database only, so the mode comes from there.)
    const [viaMas] = await db.select({ idHash: masSessionGrants.idHash }).from(masSessionGrants).limit(1);
    const unavailable = viaMas
      ? "Not counted here: this homeserver's tokens live in its authentication service (MAS). Open Tokens to see them."
      : "No token list read yet: open Tokens, or wait for the tokens collector.";
    return [{ id: "tokens.valid", label: "Registration tokens valid", value: null, unavailable, href: "/tokens" }];
  }
  const live = synced.filter((r) => !r.revokedAt);
  const valid = live.filter((r) => tokenState(r, now.getTime()) === "valid").length;
  const hazards = live.filter((r) => isZeroUsesHazard(r)).length;

  const then = new Date(now.getTime() - WEEK_MS);
  const byToken = new Map(rows.map((r) => [r.token, r]));
  const old = await db.select().from(registrationTokenSnapshots).where(eq(registrationTokenSnapshots.day, utcDay(then)));
  const validThen = old.filter((s) => {
    const r = byToken.get(s.token);
    if (!r || r.createdAt > then || (r.revokedAt && r.revokedAt <= then)) return false;
    return tokenState({ usesAllowed: s.usesAllowed, pending: s.pending, completed: s.completed, expiryTime: r.expiryTime }, then.getTime()) === "valid";
  }).length;
  const lastSync = Math.max(...synced.map((r) => r.syncedAt!.getTime()));
  return [
    {
      id: "tokens.valid",
      label: "Registration tokens valid",
      value: valid,
      delta: old.length ? valid - validThen : null,
      comparedAt: old.length ? then : null,
      better: "neither",
      href: hazards ? "/tokens?state=hazard" : "/tokens?state=valid",
      hint: hazards
        ? `${hazards} with 0 uses allowed still admit${hazards === 1 ? "s" : ""} registrations: revoke ${hazards === 1 ? "it" : "them"}`
        : `as of ${new Date(lastSync).toISOString().slice(0, 16).replace("T", " ")} UTC`,
    },
  ];
}

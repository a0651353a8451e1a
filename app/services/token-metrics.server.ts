/** Prometheus gauges for registration tokens, from Steward's records (as of the last list or collector pass). */
import type { Db } from "../../db/client";
import { registrationTokenRecords } from "../../db/schema";
import { isZeroUsesHazard, tokenState, type TokenState } from "./token-rules.server";

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

// MAS token actions in the audit log (decisions 023, 025): a sentence that says it happened in the authentication
// service, links to the token's page by MAS's id, and reads a usage limit of 0 as MAS means it (never valid).
import { describe, expect, it } from "vitest";
import { describeAudit } from "../../app/services/audit/describe.server";
import type { AuditPart } from "../../app/services/audit/types";

const ID = "01JDQ8Z3K4M5N6P7Q8R9S0T1VW";
const text = (parts: AuditPart[]) => parts.map((p) => (typeof p === "string" ? p : p.id)).join("");
const line = (action: string, detail: Record<string, unknown>, outcome = "ok", target: string | null = "abc123") =>
  describeAudit({ id: 1, at: new Date(0), actor: "@admin:hs", action, target, outcome, detail });

describe("audit sentences for MAS tokens", () => {
  it("changes: the new limit and expiry in MAS's meaning, the values before, a link by id", () => {
    const l = line("token.update", { service: "mas", masId: ID, usageLimit: 0, expiresAt: null, before: { usageLimit: 3, expiresAt: null } });
    expect(text(l.sentence)).toBe("@admin:hs changed registration token abc123 in the authentication service");
    expect(l.sentence).toContainEqual({ id: "abc123", href: `/tokens/mas/${ID}` });
    expect(l.details).toEqual(["never valid (usage limit 0)", "never expires", "before: usage limit 3, expires at none"]);
    const failed = line("token.update", { service: "mas", masId: ID, usageLimit: 5, error: "The authentication service had an internal error." }, "error", ID);
    expect(text(failed.sentence)).toBe(`@admin:hs tried to change registration token ${ID} in the authentication service`);
    expect(failed.details).toEqual(["5 uses allowed", "error: The authentication service had an internal error."]);
  });

  it("issue, revoke and restore", () => {
    expect(text(line("token.issue", { service: "mas", masId: ID, usageLimit: 1, expiresAt: null, issuedFor: "Dana" }).sentence)).toBe(
      "@admin:hs issued registration token abc123 in the authentication service for Dana",
    );
    expect(text(line("token.revoke", { service: "mas", masId: ID }).sentence)).toBe("@admin:hs revoked registration token abc123 in the authentication service");
    expect(line("token.revoke", { service: "mas", masId: ID }).details).toEqual([]);
    expect(text(line("token.unrevoke", { service: "mas", masId: ID }).sentence)).toBe("@admin:hs restored registration token abc123 in the authentication service");
    // Classic Synapse's revoke reads as before.
    expect(line("token.revoke", { alreadyGone: false }).sentence).toContainEqual({ id: "abc123", href: "/tokens/abc123" });
  });
});

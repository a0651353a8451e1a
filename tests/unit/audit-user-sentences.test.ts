// The audit log shows each user action (decision 014) and each bulk job item (decision 020) as a sentence: who did
// what to whom, in the past tense when done and as "tried to" otherwise; internal keys (form ids, backends) stay out.
import { describe, expect, it } from "vitest";
import { describeAudit } from "../../app/services/audit/describe.server";
import type { AuditPart } from "../../app/services/audit/types";

const text = (parts: AuditPart[]) => parts.map((p) => (typeof p === "string" ? p : p.id)).join("");
const line = (action: string, detail: Record<string, unknown>, outcome = "ok", target: string | null = "@bob:hs") =>
  describeAudit({ id: 1, at: new Date(0), actor: "@admin:hs", action, target, outcome, detail });

describe("audit sentences for user actions", () => {
  it.each([
    ["user.sign-out-device", { deviceId: "PHONE" }, "@admin:hs signed out session PHONE of @bob:hs"],
    ["user.sign-out-all", {}, "@admin:hs signed out every session of @bob:hs"],
    ["user.sign-out-stale", { deviceIds: ["A", "B"], days: 30 }, "@admin:hs signed out 2 sessions of @bob:hs unseen for more than 30 days"],
    ["user.lock", {}, "@admin:hs locked the account @bob:hs"],
    ["user.unlock", {}, "@admin:hs unlocked the account @bob:hs"],
    ["user.reset-password", { signOutAll: true }, "@admin:hs reset the password of @bob:hs and signed out every session"],
    ["user.reset-password", { signOutAll: false }, "@admin:hs reset the password of @bob:hs, keeping their sessions"],
    ["user.deactivate", { erase: true }, "@admin:hs deactivated @bob:hs and erased it"],
    ["user.deactivate", { erase: false }, "@admin:hs deactivated @bob:hs"],
    ["user.reactivate", {}, "@admin:hs reactivated @bob:hs with a new password"],
    ["user.make-admin", {}, "@admin:hs made @bob:hs a server admin"],
    ["user.remove-admin", {}, "@admin:hs removed server admin from @bob:hs"],
    ["user.send-notice", {}, "@admin:hs sent a server notice to @bob:hs"],
    ["user.bulk.sign-out-unverified", { jobId: 7, deviceId: "X1" }, "@admin:hs signed out unverified session X1 of @bob:hs in bulk job 7"],
    ["user.bulk.sign-out-stale", { jobId: 7, deviceId: "X2" }, "@admin:hs signed out stale session X2 of @bob:hs in bulk job 7"],
    ["user.bulk.deactivate", { jobId: 8 }, "@admin:hs deactivated @bob:hs in bulk job 8"],
  ])("%s", (action, detail, sentence) => {
    const l = line(action, { formId: "f-123", backend: "synapse", summary: "x", ...detail });
    expect(text(l.sentence)).toBe(sentence);
    expect(l.details.join(" ")).not.toMatch(/form id|backend|summary/);
  });

  it("says what was tried when it failed or was refused, and why", () => {
    const failed = line("user.lock", { formId: "f", error: "The homeserver did not answer." }, "error");
    expect(text(failed.sentence)).toBe("@admin:hs tried to lock the account @bob:hs");
    expect(failed.details).toContain("error: The homeserver did not answer.");
    const refused = line("user.deactivate", { reason: "You cannot deactivate the account you are signed in with." }, "refused", "@admin:hs");
    expect(text(refused.sentence)).toBe("@admin:hs tried to deactivate @admin:hs");
    expect(refused.details).toEqual(["refused: You cannot deactivate the account you are signed in with."]);
  });
});

/** Token state by the reference's definition of validity, and every validation rule of the issue/edit forms. */
import { describe, expect, it } from "vitest";
import {
  checkTokenText,
  isZeroUsesHazard,
  parseEditForm,
  parseIssueForm,
  parseLocalDateTime,
  parseUses,
  tokenState,
  usesLeft,
} from "../../app/services/tokens/rules.server";

const NOW = Date.UTC(2026, 10, 27, 12, 0, 0);
const t = (usesAllowed: number | null, pending: number, completed: number, expiryTime: number | null = null) => ({ usesAllowed, pending, completed, expiryTime });

describe("tokenState", () => {
  it("follows the admin list's validity: pending counts, 0 uses is not valid, expiry must be after now", () => {
    expect(tokenState(t(null, 0, 18), NOW)).toBe("valid");
    expect(tokenState(t(2, 0, 1), NOW)).toBe("valid");
    expect(tokenState(t(1, 1, 0), NOW)).toBe("used_up"); // the pending use holds the last slot
    expect(tokenState(t(1, 0, 1), NOW)).toBe("used_up");
    expect(tokenState(t(0, 0, 0), NOW)).toBe("used_up");
    expect(tokenState(t(5, 0, 0, NOW), NOW)).toBe("expired"); // expiry_time > now is required
    expect(tokenState(t(5, 0, 0, NOW + 1), NOW)).toBe("valid");
    expect(tokenState(t(1, 0, 1, NOW - 1), NOW)).toBe("used_up");
  });
  it("counts uses left and flags the 0-uses hazard", () => {
    expect(usesLeft(t(null, 3, 3))).toBeNull();
    expect(usesLeft(t(5, 1, 2))).toBe(2);
    expect(usesLeft(t(1, 1, 1))).toBe(0);
    expect(isZeroUsesHazard(t(0, 0, 0))).toBe(true);
    expect(isZeroUsesHazard(t(null, 0, 0))).toBe(false);
  });
});

describe("uses", () => {
  it("empty is unlimited, ≥1 is fine, 0 is refused with the reason, junk is refused", () => {
    expect(parseUses("")).toEqual({ ok: true, value: null });
    expect(parseUses(" 3 ")).toEqual({ ok: true, value: 3 });
    const zero = parseUses("0");
    expect(zero.ok).toBe(false);
    expect(!zero.ok && zero.error).toMatch(/still accept it/);
    for (const bad of ["-1", "1.5", "abc", "1e3", "99999999999"]) expect(parseUses(bad).ok, bad).toBe(false);
  });
});

describe("token text", () => {
  it("allows 1–64 of A-Za-z0-9._~- and refuses the rest", () => {
    expect(checkTokenText("fixture.tok~99852")).toBeNull();
    expect(checkTokenText("a".repeat(64))).toBeNull();
    expect(checkTokenText("a".repeat(65))).toMatch(/at most 64/);
    expect(checkTokenText("bad token!")).toMatch(/Use only letters/);
    expect(checkTokenText("ünicode")).toMatch(/Use only letters/);
  });
});

describe("parseIssueForm", () => {
  const base = { issuedFor: "Alice", note: "", uses: "1", expires: "7d", token: "", length: "" };
  it("defaults: 1 use, 7 days, generated 16 characters", () => {
    const r = parseIssueForm(base, NOW);
    expect(r).toEqual({ ok: true, value: { issuedFor: "Alice", note: null, usesAllowed: 1, expiryTime: NOW + 7 * 86_400_000, length: 16 } });
  });
  it("presets 1 day / 30 days / never", () => {
    const exp = (expires: string) => {
      const r = parseIssueForm({ ...base, expires }, NOW);
      return r.ok ? r.value.expiryTime : "error";
    };
    expect(exp("1d")).toBe(NOW + 86_400_000);
    expect(exp("30d")).toBe(NOW + 30 * 86_400_000);
    expect(exp("never")).toBeNull();
    expect(exp("fortnight")).toBe("error");
  });
  it("a custom date-time in the admin's zone must be in the future", () => {
    // UTC+1 → getTimezoneOffset() = -60
    const ok = parseIssueForm({ ...base, expires: "custom", expiresAt: "2026-12-01T10:30", tzOffset: "-60" }, NOW);
    expect(ok.ok && ok.value.expiryTime).toBe(Date.UTC(2026, 11, 1, 9, 30));
    const past = parseIssueForm({ ...base, expires: "custom", expiresAt: "2026-11-01T10:30" }, NOW);
    expect(!past.ok && past.errors.expiresAt).toMatch(/future/);
    const junk = parseIssueForm({ ...base, expires: "custom", expiresAt: "2026-02-30T10:30" }, NOW);
    expect(!junk.ok && junk.errors.expiresAt).toMatch(/Enter a date/);
    const empty = parseIssueForm({ ...base, expires: "custom", expiresAt: "" }, NOW);
    expect(!empty.ok && empty.errors.expiresAt).toBeTruthy();
  });
  it("a chosen token wins over a length; a bad length is refused only when generating", () => {
    const chosen = parseIssueForm({ ...base, token: "for-alice", length: "999" }, NOW);
    expect(chosen.ok && chosen.value).toMatchObject({ token: "for-alice" });
    expect(chosen.ok && "length" in chosen.value).toBe(false);
    for (const length of ["0", "7", "65", "x"]) {
      const r = parseIssueForm({ ...base, length }, NOW);
      expect(!r.ok && r.errors.length, length).toMatch(/8 to 64/);
    }
    const eight = parseIssueForm({ ...base, length: "8" }, NOW);
    expect(eight.ok && eight.value.length).toBe(8);
  });
  it("reports every bad field at once, each beside its field", () => {
    const r = parseIssueForm({ issuedFor: "x".repeat(201), note: "", uses: "0", expires: "custom", expiresAt: "", token: "no spaces" }, NOW);
    expect(r.ok).toBe(false);
    expect(!r.ok && Object.keys(r.errors).sort()).toEqual(["expiresAt", "issuedFor", "token", "uses"]);
  });
  it("empty uses = unlimited", () => {
    const r = parseIssueForm({ ...base, uses: "" }, NOW);
    expect(r.ok && r.value.usesAllowed).toBeNull();
  });
});

describe("parseEditForm", () => {
  it("keeps the expiry unless asked, refuses 0 uses", () => {
    expect(parseEditForm({ uses: "4", expires: "keep" }, NOW)).toEqual({ ok: true, value: { usesAllowed: 4 } });
    expect(parseEditForm({ uses: "", expires: "never" }, NOW)).toEqual({ ok: true, value: { usesAllowed: null, expiryTime: null } });
    const zero = parseEditForm({ uses: "0", expires: "keep" }, NOW);
    expect(!zero.ok && zero.errors.uses).toMatch(/0 is not allowed/);
  });
  it("reads a date-time without JavaScript as UTC", () => {
    expect(parseLocalDateTime("2027-01-02T03:04", 0)).toBe(Date.UTC(2027, 0, 2, 3, 4));
    expect(parseLocalDateTime("not a date", 0)).toBeNull();
  });
});

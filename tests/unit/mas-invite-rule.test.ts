/**
 * Issue 16 item 5: the one rule deciding whether a MAS invite link may carry the token (decision 025). No released
 * MAS can take a token from a link (mas-api.md §4.3, §4.5), so today every version gets the paste flow; once a
 * release offers invite links, setting MAS_TOKEN_LINK_SINCE switches that version and newer to MAS's own link.
 */
import { describe, expect, it } from "vitest";
import { compareMasVersions, MAS_TOKEN_LINK_SINCE, masInviteStyle, parseMasVersion } from "../../app/services/tokens/mas-invite-rule";
import { buildMasInvite, masInviteSteps, masRegistrationPageUrl } from "../../app/services/tokens/mas-invite.server";

const RELEASED = ["v0.17.0", "v0.20.0", "v1.0.0", "v1.3.0", "v1.4.0", "v1.5.0", "v1.18.0", "v1.19.0", "v1.20.0", "v1.22.0", "v1.22.0-3-gf28451c"];

describe("MAS version gate for invite links", () => {
  it("knows of no released MAS that takes the token from a link", () => {
    expect(MAS_TOKEN_LINK_SINCE).toBeNull();
    for (const v of [...RELEASED, null, undefined, "", "garbage", "v2.0.0"]) expect(masInviteStyle(v), String(v)).toBe("paste");
  });

  it("switches at the first version that offers one, and not before", () => {
    const since = "v1.23.0";
    expect(masInviteStyle("v1.22.0", since)).toBe("paste");
    expect(masInviteStyle("v1.22.0-14-gabcdef0", since)).toBe("paste"); // a development build after 1.22: not a release
    expect(masInviteStyle("v1.23.0-rc.1", since)).toBe("paste"); // a release candidate of it is not the release
    expect(masInviteStyle("v1.23.0", since)).toBe("link");
    expect(masInviteStyle("1.23.1", since)).toBe("link");
    expect(masInviteStyle("v2.0.0", since)).toBe("link");
    // Unknown versions (MAS older than v1.4.0 has no /version; unreadable answers) keep the flow that always works.
    expect(masInviteStyle(null, since)).toBe("paste");
    expect(masInviteStyle("nightly", since)).toBe("paste");
  });

  it("reads MAS's git-describe versions", () => {
    expect(parseMasVersion("v1.22.0")).toEqual({ major: 1, minor: 22, patch: 0, prerelease: null });
    expect(parseMasVersion("v1.22.0-3-gf28451c")).toEqual({ major: 1, minor: 22, patch: 0, prerelease: null });
    expect(parseMasVersion("v1.23.0-rc.1")).toMatchObject({ minor: 23, prerelease: "rc.1" });
    expect(parseMasVersion("v1.22.0-dirty")).toMatchObject({ minor: 22, prerelease: null });
    expect(parseMasVersion("v1.22")).toBeNull();
    const sorted = ["v1.4.0", "v0.20.0", "v1.22.0", "v1.23.0-rc.1", "v1.10.0"].map((v) => parseMasVersion(v)!).sort(compareMasVersions);
    expect(sorted.map((v) => `${v.major}.${v.minor}${v.prerelease ? `-${v.prerelease}` : ""}`)).toEqual(["0.20", "1.4", "1.10", "1.22", "1.23-rc.1"]);
  });
});

describe("MAS invite", () => {
  const ctx = { registrationUrl: "https://auth.example.org/register", serverName: "example.org", version: "v1.22.0", config: null };

  it("finds MAS's registration page beside its authorization endpoint", () => {
    expect(masRegistrationPageUrl({ issuer: "https://auth.example.org/", authorizationEndpoint: "https://auth.example.org/authorize" })).toBe("https://auth.example.org/register");
    expect(masRegistrationPageUrl({ issuer: "https://id.example.org/", authorizationEndpoint: "https://example.org/auth/authorize" })).toBe("https://example.org/auth/register");
    expect(masRegistrationPageUrl({ issuer: "https://auth.example.org", authorizationEndpoint: null })).toBe("https://auth.example.org/register");
  });

  it("sends the registration page and the code to paste, in plain steps, even when MAS offers a link", async () => {
    const invite = await buildMasInvite(
      { token: "Xy7kP2mQ9rT4vW8z", inviteUrl: "https://auth.example.org/invite/Xy7kP2mQ9rT4vW8z" },
      { issuedFor: "Alice", left: 1, expiresAt: Date.UTC(2026, 11, 11, 18, 5) },
      ctx,
    );
    expect(invite.style).toBe("paste");
    expect(invite.link).toBe("https://auth.example.org/register");
    expect(invite.message).not.toContain("invite/");
    expect(invite.message).toContain("Hi Alice, here is your invitation to our Matrix chat server example.org.");
    expect(invite.message).toContain("1. Open this link: https://auth.example.org/register\n2. Choose a username and a password.\n3. When you are asked for a registration token, paste this invitation code: Xy7kP2mQ9rT4vW8z");
    expect(invite.message).toContain("The invitation works for one account, until 11 Dec 2026, 18:05 UTC.");
    expect(invite.qrDataUrl).toMatch(/^data:image\/svg\+xml;base64,/);
  });

  it("adds the email steps when MAS requires an email address", () => {
    const steps = masInviteSteps({ style: "paste", link: "https://a/register", code: "abc", emailRequired: true });
    expect(steps).toHaveLength(4);
    expect(steps[1]).toContain("email address");
    expect(steps[3]).toContain("confirmation code");
    expect(masInviteSteps({ style: "link", link: "https://a/invite/abc", code: "abc", emailRequired: false })).toEqual(["Open this link: https://a/invite/abc", "Choose a username and a password."]);
  });
});

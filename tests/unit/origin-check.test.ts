/** The same-origin rule of every mutation (auth/origin.server.ts), with and without a trusted proxy. */
import { describe, expect, it } from "vitest";
import { originAllowed } from "../../app/services/auth/origin.server";

const check = (headers: Record<string, string>, trustProxy: boolean) => originAllowed((n) => headers[n.toLowerCase()], trustProxy);

describe("originAllowed", () => {
  it("lets a request without Origin through to the CSRF token check, and refuses Origin: null (issue 19, login CSRF)", () => {
    for (const trust of [false, true]) {
      expect(check({ host: "steward:3000" }, trust)).toBe(true);
      expect(check({ host: "steward:3000", origin: "null" }, trust)).toBe(false);
    }
  });

  it("refuses an unparsable Origin", () => {
    expect(check({ host: "a.example", origin: "not a url" }, false)).toBe(false);
    expect(check({ host: "a.example", origin: "not a url", "x-forwarded-host": "not a url" }, true)).toBe(false);
  });

  describe("TRUST_PROXY off", () => {
    it("compares the Origin with Host", () => {
      expect(check({ host: "steward.example", origin: "https://steward.example" }, false)).toBe(true);
      expect(check({ host: "steward.example", origin: "https://evil.example" }, false)).toBe(false);
      expect(check({ origin: "https://steward.example" }, false)).toBe(false);
    });

    it("ignores X-Forwarded-Host: a forged one never makes a foreign Origin acceptable", () => {
      const forged = { host: "steward:3000", origin: "https://evil.example", "x-forwarded-host": "evil.example", "x-forwarded-proto": "https" };
      expect(check(forged, false)).toBe(false);
      // Behind a Host-rewriting proxy the public Origin does not match Host: refused until TRUST_PROXY is on.
      expect(check({ host: "steward:3000", origin: "https://join.example.org", "x-forwarded-host": "join.example.org" }, false)).toBe(false);
      // A mismatching X-Forwarded-Host is refused too (Remix would reject the request with a 500 otherwise).
      expect(check({ host: "steward.example", origin: "https://steward.example", "x-forwarded-host": "other.example" }, false)).toBe(false);
      expect(check({ host: "steward.example", origin: "https://steward.example", "x-forwarded-host": "steward.example" }, false)).toBe(true);
    });
  });

  describe("TRUST_PROXY on", () => {
    const proxied = { host: "steward:3000", "x-forwarded-host": "join.example.org", "x-forwarded-proto": "https" };

    it("accepts an Origin matching the forwarded host and scheme although Host was rewritten", () => {
      expect(check({ ...proxied, origin: "https://join.example.org" }, true)).toBe(true);
    });

    it("refuses another host, another scheme, or the internal Host once a forwarded host is given", () => {
      expect(check({ ...proxied, origin: "https://evil.example" }, true)).toBe(false);
      expect(check({ ...proxied, origin: "http://join.example.org" }, true)).toBe(false);
      expect(check({ ...proxied, origin: "http://steward:3000" }, true)).toBe(false);
    });

    it("uses the first value of a list (the one the client-facing proxy wrote)", () => {
      const listed = { ...proxied, "x-forwarded-host": "join.example.org, internal.lb", "x-forwarded-proto": "https, http" };
      expect(check({ ...listed, origin: "https://join.example.org" }, true)).toBe(true);
      expect(check({ ...listed, origin: "https://internal.lb" }, true)).toBe(false);
    });

    it("compares the host only when no X-Forwarded-Proto is sent, and falls back to Host without X-Forwarded-Host", () => {
      expect(check({ host: "steward:3000", "x-forwarded-host": "join.example.org", origin: "https://join.example.org" }, true)).toBe(true);
      expect(check({ host: "steward.example", origin: "https://steward.example" }, true)).toBe(true);
      expect(check({ host: "steward.example", origin: "https://evil.example" }, true)).toBe(false);
    });
  });
});

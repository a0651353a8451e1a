/** The browser's remembered Steward device (decision 021): signed, tamper-evident, and only for the same account. */
import { describe, expect, it } from "vitest";
import { DEVICE_COOKIE, deviceCookie, rememberedDevice, typedNameIsAccount } from "../../app/services/auth/device-cookie.server";

const SECRET = "test-secret-test-secret-test-secret-0123456789";
const requestWith = (setCookie: string) => new Request("http://steward.test/login", { headers: { cookie: setCookie.split(";")[0] } });

describe("device cookie", () => {
  it("round-trips, long-lived, HttpOnly and scoped to /login", () => {
    const c = deviceCookie(SECRET, { userId: "@admin:example.org", deviceId: "ABCDEFGHIJ" }, true);
    expect(c).toMatch(new RegExp(`^${DEVICE_COOKIE}=`));
    expect(c).toContain("HttpOnly");
    expect(c).toContain("Path=/login");
    expect(c).toContain("Secure");
    expect(c).toContain(`Max-Age=${400 * 24 * 3600}`);
    expect(rememberedDevice(requestWith(c), SECRET)).toEqual({ userId: "@admin:example.org", deviceId: "ABCDEFGHIJ" });
  });

  it("refuses a changed device id, another secret and garbage", () => {
    const c = deviceCookie(SECRET, { userId: "@admin:example.org", deviceId: "ABCDEFGHIJ" }, false);
    const [pair] = c.split(";");
    const sig = pair.split(".")[1];
    const forged = Buffer.from(JSON.stringify({ u: "@admin:example.org", d: "PHONE" })).toString("base64url");
    expect(rememberedDevice(requestWith(`${DEVICE_COOKIE}=${forged}.${sig}`), SECRET)).toBeNull();
    expect(rememberedDevice(requestWith(c), "another-secret-another-secret-another-secret")).toBeNull();
    expect(rememberedDevice(requestWith(`${DEVICE_COOKIE}=nonsense`), SECRET)).toBeNull();
    expect(rememberedDevice(requestWith(`other=1`), SECRET)).toBeNull();
  });

  it("matches what the admin types to the account, regardless of case", () => {
    expect(typedNameIsAccount("admin", "@admin:example.org")).toBe(true);
    expect(typedNameIsAccount("Admin", "@admin:example.org")).toBe(true);
    expect(typedNameIsAccount("@admin:example.org", "@admin:example.org")).toBe(true);
    expect(typedNameIsAccount("adm", "@admin:example.org")).toBe(false);
    expect(typedNameIsAccount("@admin:other.org", "@admin:example.org")).toBe(false);
    expect(typedNameIsAccount("someone", "@admin:example.org")).toBe(false);
  });
});

import { describe, expect, it } from "vitest";
import { clientAddressKey } from "../../app/services/auth/client-address";

describe("clientAddressKey (issue 19, finding 2)", () => {
  it("keys IPv4 as it is and an IPv4-mapped address as its IPv4 address", () => {
    expect(clientAddressKey("192.0.2.50")).toBe("192.0.2.50");
    expect(clientAddressKey("::ffff:192.0.2.50")).toBe("192.0.2.50");
  });
  it("keys every address of one IPv6 /64 alike, and different /64s apart", () => {
    const a = clientAddressKey("2001:db8:1:2::a");
    expect(a).toBe("2001:db8:1:2::/64");
    expect(clientAddressKey("2001:0db8:0001:0002:ffff:1:2:3")).toBe(a);
    expect(clientAddressKey("2001:db8:1:3::a")).not.toBe(a);
    expect(clientAddressKey("::1")).toBe("0:0:0:0::/64");
  });
  it("keys garbage as unknown", () => {
    expect(clientAddressKey(undefined)).toBe("unknown");
    expect(clientAddressKey("not an address")).toBe("unknown");
  });
});

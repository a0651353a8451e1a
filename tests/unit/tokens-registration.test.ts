/** The invitee flow's error mapping (every kind, plain words) and the choice of UIA flow/stage names. */
import { describe, expect, it } from "vitest";
import { HomeserverError, type HomeserverErrorKind } from "../../app/homeserver/errors";
import { checkUsernameLocally, chooseFlow, describeRegistrationError } from "../../app/services/tokens/registration.server";

const err = (kind: HomeserverErrorKind, extra: Partial<ConstructorParameters<typeof HomeserverError>[0]> = {}) =>
  new HomeserverError({ kind, method: "POST", endpoint: "/_matrix/client/v3/register", origin: "http://hs", ...extra });

describe("describeRegistrationError", () => {
  it.each([
    ["user_in_use", {}, "username", /already taken/],
    ["invalid_username", {}, "username", /not allowed.*lowercase/],
    ["forbidden", { status: 403, errcode: "M_FORBIDDEN" }, "form", /switched off/],
    ["rate_limited", { status: 429, retryAfterMs: 4200 }, "form", /wait 5 seconds/],
    ["rate_limited", { status: 429 }, "form", /wait a minute/],
    ["unrecognized", { status: 404 }, "form", /managed elsewhere/],
    ["server_error", { status: 502 }, "form", /not answering/],
    ["timeout", {}, "form", /not answering/],
    ["unreachable", { networkCode: "ECONNREFUSED" }, "form", /not answering/],
    ["not_matrix", { status: 404 }, "form", /not answering/],
    ["bad_request", { status: 400, errcode: "M_EXCLUSIVE" }, "username", /reserved/],
    ["bad_request", { status: 400, errcode: "M_WEAK_PASSWORD" }, "password", /too weak/],
    ["bad_request", { status: 400, errcode: "M_UNKNOWN" }, "form", /did not accept/],
  ] as const)("%s %o → %s", (kind, extra, field, message) => {
    const p = describeRegistrationError(err(kind, extra));
    expect(p.field).toBe(field);
    expect(p.message).toMatch(message);
  });
  it("never quotes the server's text (it is untrusted and rewordable)", () => {
    const p = describeRegistrationError(err("bad_request", { status: 400, errcode: "M_UNKNOWN", serverMessage: "<script>x</script>" }));
    expect(p.message).not.toContain("script");
  });
  it("keeps the wait of a rate limit for the Retry-After header", () => {
    expect(describeRegistrationError(err("rate_limited", { status: 429, retryAfterMs: 3000 })).retryAfterMs).toBe(3000);
  });
});

describe("chooseFlow", () => {
  it("takes the stable or the MSC3231 token stage, then dummy; refuses flows needing email or captcha", () => {
    expect(chooseFlow([{ stages: ["m.login.registration_token", "m.login.dummy"] }])).toEqual(["m.login.registration_token", "m.login.dummy"]);
    expect(chooseFlow([{ stages: ["org.matrix.msc3231.login.registration_token", "m.login.dummy"] }])).toEqual([
      "org.matrix.msc3231.login.registration_token",
      "m.login.dummy",
    ]);
    expect(chooseFlow([{ stages: ["m.login.recaptcha", "m.login.dummy"] }, { stages: ["m.login.dummy"] }])).toEqual(["m.login.dummy"]);
    expect(chooseFlow([{ stages: ["m.login.email.identity"] }])).toBeNull();
  });
});

describe("checkUsernameLocally", () => {
  it("applies Synapse's rules", () => {
    expect(checkUsernameLocally("alice2")).toBeNull();
    expect(checkUsernameLocally("a.b=c_d-e/f+g")).toBeNull();
    expect(checkUsernameLocally("")).toMatch(/Choose/);
    expect(checkUsernameLocally("Bad Name!")).toMatch(/not allowed/);
    expect(checkUsernameLocally("_bot")).toMatch(/start with _/);
    expect(checkUsernameLocally("12345")).toMatch(/only digits/);
  });
});

import { afterEach, describe, expect, it } from "vitest";
import { HomeserverHttp, type RequestEvent } from "~/homeserver/http";
import { HomeserverError, describeHomeserverError, isHomeserverError } from "~/homeserver/errors";
import { createHomeserverClient } from "~/homeserver";
import { TOKEN, closedPortUrl, homeserverFailure, recordingSleep, startFake, type FakeServer, type Handler } from "./homeserver-fake";

let fake: FakeServer | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

async function setup(handler: Handler, extra: Partial<ConstructorParameters<typeof HomeserverHttp>[0]> = {}) {
  fake = await startFake(handler);
  const rec = recordingSleep();
  const events: RequestEvent[] = [];
  const http = new HomeserverHttp({
    baseUrl: `${fake.url}/`,
    accessToken: TOKEN,
    sleep: rec.sleep,
    random: () => 0.5,
    onRequest: (e) => events.push(e),
    ...extra,
  });
  return { http, fake, waits: rec.waits, events };
}


function expectNoToken(e: unknown) {
  expect(JSON.stringify(e)).not.toContain(TOKEN);
  expect(String(e)).not.toContain(TOKEN);
  expect((e as Error).message).not.toContain(TOKEN);
  expect((e as Error).stack ?? "").not.toContain(TOKEN);
  const cause = (e as { cause?: unknown }).cause;
  expect(JSON.stringify(cause ?? null)).not.toContain(TOKEN);
  expect(String(cause)).not.toContain(TOKEN);
  expect(String((cause as { message?: unknown } | undefined)?.message)).not.toContain(TOKEN);
  expect(describeHomeserverError(e)).not.toContain(TOKEN);
}

describe("HomeserverHttp requests", () => {
  it("sends the bearer token, user agent and JSON body; omits the token when auth is false", async () => {
    const { http, fake } = await setup(() => ({ json: { ok: true } }));
    await http.post("/_x/post", { body: { a: 1 } });
    await http.get("/_x/open", { auth: false });
    expect(fake.requests[0].headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(fake.requests[0].headers["content-type"]).toBe("application/json");
    expect(fake.requests[0].headers["user-agent"]).toBe("Steward");
    expect(fake.requests[0].body).toEqual({ a: 1 });
    expect(fake.requests[1].headers.authorization).toBeUndefined();
  });

  it("percent-encodes path params and builds queries (repeated keys, booleans, undefined dropped)", async () => {
    const { http, fake, events } = await setup(() => ({ json: {} }));
    await http.get("/_synapse/admin/v2/users/{userId}", {
      params: { userId: "@a/b:c" },
      query: { not_user_type: ["bot", ""], guests: false, admins: true, name: undefined, limit: 5, x: null },
    });
    expect(fake.requests[0].url).toBe(
      "/_synapse/admin/v2/users/%40a%2Fb%3Ac?not_user_type=bot&not_user_type=&guests=false&admins=true&limit=5",
    );
    expect(events[0]).toMatchObject({ method: "GET", endpoint: "/_synapse/admin/v2/users/{userId}", status: 200, attempt: 0 });
  });

  it("withToken sends the other token and does not expose tokens when serialised", async () => {
    const { http, fake } = await setup(() => ({ json: {} }));
    await http.withToken("other").get("/x");
    expect(fake.requests[0].headers.authorization).toBe("Bearer other");
    expect(JSON.stringify(http)).not.toContain(TOKEN);
    expect(JSON.stringify(createHomeserverClient({ baseUrl: fake.url, accessToken: TOKEN }))).not.toContain(TOKEN);
  });

  it("refuses to send the token to another origin", async () => {
    const { http } = await setup(() => ({ json: {} }));
    await expect(http.get("/x", { baseUrl: "https://elsewhere.example" })).rejects.toThrow(/another origin/);
  });
});

describe("retries", () => {
  it("retries a 429 after retry_after_ms, then succeeds", async () => {
    const { http, waits, fake } = await setup((_, i) =>
      i === 0 ? { status: 429, json: { errcode: "M_LIMIT_EXCEEDED", error: "Too Many Requests", retry_after_ms: 1234 } } : { json: { ok: 1 } },
    );
    await expect(http.get("/x")).resolves.toEqual({ ok: 1 });
    expect(waits).toEqual([1234]);
    expect(fake.requests).toHaveLength(2);
  });

  it("retries a 429 with only a Retry-After header (seconds), even for POST", async () => {
    const { http, waits } = await setup((_, i) =>
      i === 0 ? { status: 429, json: { errcode: "M_LIMIT_EXCEEDED" }, headers: { "retry-after": "3" } } : { json: { ok: 2 } },
    );
    await expect(http.post("/x", { body: {} })).resolves.toEqual({ ok: 2 });
    expect(waits).toEqual([3000]);
  });

  it("fails at once as rate_limited with retryAfterMs when the server asks for too long", async () => {
    const { http, waits, fake } = await setup(() => ({
      status: 429,
      json: { errcode: "M_LIMIT_EXCEEDED", error: "Too Many Requests", retry_after_ms: 90_000 },
      headers: { "retry-after": "90" },
    }));
    const e = await homeserverFailure(http.get("/x"));
    expect(e.kind).toBe("rate_limited");
    expect(e.retryAfterMs).toBe(90_000);
    expect(waits).toEqual([]);
    expect(fake.requests).toHaveLength(1);
    expect(describeHomeserverError(e)).toBe("The homeserver is rate limiting Steward; retry in 90 s.");
  });

  it("gives up after maxRetries 429s", async () => {
    const { http, waits, fake } = await setup(() => ({ status: 429, json: { errcode: "M_LIMIT_EXCEEDED", retry_after_ms: 10 } }), {
      maxRetries: 2,
    });
    const e = await homeserverFailure(http.get("/x"));
    expect(e.kind).toBe("rate_limited");
    expect(fake.requests).toHaveLength(3);
    expect(waits).toEqual([10, 10]);
  });

  it("retries 5xx for GET with exponential backoff, not for POST", async () => {
    const { http, waits, fake, events } = await setup(() => ({ status: 502, text: "<html>Bad Gateway</html>" }));
    const e = await homeserverFailure(http.get("/x"));
    expect(e.kind).toBe("server_error");
    expect(e.status).toBe(502);
    expect(fake.requests).toHaveLength(4);
    // random() = 0.5 → 3/4 of the 250·2^n ceiling
    expect(waits).toEqual([188, 375, 750]);
    expect(events.map((x) => x.attempt)).toEqual([0, 1, 2, 3]);

    const before = fake.requests.length;
    const e2 = await homeserverFailure(http.post("/x", { body: {} }));
    expect(e2.kind).toBe("server_error");
    expect(fake.requests.length - before).toBe(1);
  });

  it("retries a 500 for GET and then succeeds", async () => {
    const { http } = await setup((_, i) => (i < 2 ? { status: 500, json: { errcode: "M_UNKNOWN", error: "Internal server error" } } : { json: { v: 1 } }));
    await expect(http.get("/x")).resolves.toEqual({ v: 1 });
  });

  it("does not retry client errors", async () => {
    const { http, fake } = await setup(() => ({ status: 404, json: { errcode: "M_NOT_FOUND", error: "User not found" } }));
    const e = await homeserverFailure(http.get("/x"));
    expect(e.kind).toBe("not_found");
    expect(fake.requests).toHaveLength(1);
  });
});

describe("transport failures", () => {
  it("a server that never answers → timeout (retried for GET, not for POST)", async () => {
    const { http, fake, events } = await setup(() => ({ hang: true }), { timeoutMs: 80, maxRetries: 1 });
    const e = await homeserverFailure(http.get("/slow"));
    expect(e.kind).toBe("timeout");
    expect(e.timeoutMs).toBe(80);
    expect(e.status).toBeNull();
    expect(fake.requests).toHaveLength(2);
    expect(events[0].status).toBe("error");
    const e2 = await homeserverFailure(http.post("/slow", { body: {} }));
    expect(e2.kind).toBe("timeout");
    expect(fake.requests).toHaveLength(3);
    expectNoToken(e2);
  });

  it("connection refused → unreachable", async () => {
    const url = await closedPortUrl();
    const { waits } = recordingSleep();
    const http = new HomeserverHttp({ baseUrl: url, accessToken: TOKEN, maxRetries: 0, sleep: async (ms) => void waits.push(ms) });
    const e = await homeserverFailure(http.get("/_matrix/client/versions"));
    expect(e.kind).toBe("unreachable");
    expect(e.networkCode).toBe("ECONNREFUSED");
    expect(describeHomeserverError(e)).toBe(`The homeserver could not be reached at ${url} (connection refused).`);
    expectNoToken(e);
  });
});

describe("error mapping", () => {
  const cases: Array<[number, unknown, string]> = [
    [401, { errcode: "M_UNKNOWN_TOKEN", error: "Invalid access token passed.", soft_logout: false }, "unknown_token"],
    [401, { errcode: "M_MISSING_TOKEN", error: "Missing access token" }, "missing_token"],
    [403, { errcode: "M_FORBIDDEN", error: "You are not a server admin" }, "forbidden"],
    [404, { errcode: "M_NOT_FOUND", error: "User not found" }, "not_found"],
    [404, { errcode: "M_UNRECOGNIZED", error: "Unrecognized request" }, "unrecognized"],
    [405, { errcode: "M_UNRECOGNIZED", error: "Unrecognized request" }, "unrecognized"],
    [400, { errcode: "M_INVALID_PARAM", error: "Query parameter limit must be a positive integer." }, "invalid_param"],
    [400, { errcode: "M_MISSING_PARAM", error: "Missing string query parameter 'username'" }, "invalid_param"],
    [400, { errcode: "M_UNKNOWN", error: "Can only look up local users" }, "bad_request"],
    [400, { errcode: "M_NOT_JSON", error: "Content not JSON." }, "bad_request"],
    [400, { errcode: "M_USER_IN_USE", error: "User ID already taken." }, "user_in_use"],
    [400, { errcode: "M_INVALID_USERNAME", error: "User ID can only contain…" }, "invalid_username"],
    [403, { errcode: "M_USER_DEACTIVATED", error: "This account has been deactivated" }, "user_deactivated"],
    [401, { errcode: "M_USER_LOCKED", error: "User account has been locked" }, "user_locked"],
    [500, { errcode: "M_UNKNOWN", error: "Internal server error" }, "server_error"],
    [404, { message: "not here" }, "not_matrix"], // JSON but not a Matrix error body (another app)
  ];
  it.each(cases)("%i %j → %s", async (status, json, kind) => {
    const { http } = await setup(() => ({ status, json }), { maxRetries: 0 });
    const e = await homeserverFailure(http.get("/_synapse/admin/v2/users/{userId}", { params: { userId: "@u:hs" } }));
    expect(e.kind).toBe(kind);
    expect(e.status).toBe(status);
    expect(e.endpoint).toBe("/_synapse/admin/v2/users/{userId}");
    expect(isHomeserverError(e, kind as HomeserverError["kind"])).toBe(true);
    expect(describeHomeserverError(e)).toMatch(/\S/);
    if (json && typeof json === "object" && "errcode" in json) {
      expect(e.errcode).toBe((json as { errcode: string }).errcode);
      expect(e.body).toEqual(json);
    }
  });

  it("maps by errcode, not message text", async () => {
    const { http } = await setup(() => ({ status: 403, json: { errcode: "M_FORBIDDEN", error: "User ID already taken." } }));
    expect((await homeserverFailure(http.get("/x"))).kind).toBe("forbidden");
  });

  it("an HTML 404 from a proxy → not_matrix; a 200 with garbage → not_matrix", async () => {
    const { http } = await setup((req) =>
      req.path === "/html"
        ? { status: 404, text: "<html><body>No Such Resource</body></html>", headers: { "content-type": "text/html; charset=utf-8" } }
        : { status: 200, text: "garbage{", headers: { "content-type": "application/json" } },
    );
    const e = await homeserverFailure(http.get("/html"));
    expect(e.kind).toBe("not_matrix");
    expect(e.contentType).toBe("text/html; charset=utf-8");
    expect(describeHomeserverError(e)).toContain("not a Matrix homeserver response");
    expect((await homeserverFailure(http.get("/garbage"))).kind).toBe("not_matrix");
  });

  it("a JSON body of the wrong shape → unexpected naming the endpoint, without values", async () => {
    const { http } = await setup(() => ({ json: { user_id: 5, access_token: TOKEN } }));
    const e = await homeserverFailure(
      http.get("/_matrix/client/v3/account/whoami", {
        parse: (j) => {
          if (typeof (j as { user_id: unknown }).user_id !== "string") throw new Error(`bad ${JSON.stringify(j)}`);
          return j;
        },
      }),
    );
    expect(e.kind).toBe("unexpected");
    expect(e.message).toContain("/_matrix/client/v3/account/whoami");
    expectNoToken(e);
  });

  it("an authenticated redirect is not followed (the token stays home)", async () => {
    const { http, fake } = await setup((req) =>
      req.path === "/moved" ? { status: 301, headers: { location: "https://other.example/x?access_token=leak" } } : { json: {} },
    );
    const e = await homeserverFailure(http.get("/moved"));
    expect(e.kind).toBe("unexpected");
    expect(e.serverMessage).toBe("Redirected to https://other.example/x?access_token=%3Credacted%3E");
    expect(describeHomeserverError(e)).toContain("redirect");
    expect(fake.requests).toHaveLength(1);
  });
});

describe("the access token never leaks", () => {
  it("not from errors whose server text or body echo it, nor from a base URL carrying it", async () => {
    const { http } = await setup(() => ({
      status: 400,
      json: { errcode: "M_UNKNOWN", error: `bad token ${TOKEN}`, access_token: TOKEN, nested: { x: [TOKEN] } },
    }));
    const e = await homeserverFailure(http.get("/x"));
    expectNoToken(e);
    expect(e.serverMessage).toBe("bad token <redacted>");

    const http2 = new HomeserverHttp({ baseUrl: `${fake!.url}/?access_token=${TOKEN}`, accessToken: TOKEN, maxRetries: 0 });
    const e2 = await homeserverFailure(http2.get("/x"));
    expectNoToken(e2);
  });

  it("not from 401s, 429s, timeouts or parse failures", async () => {
    const { http } = await setup((req) => {
      if (req.path === "/401") return { status: 401, json: { errcode: "M_UNKNOWN_TOKEN", error: "Invalid access token passed." } };
      if (req.path === "/429") return { status: 429, json: { errcode: "M_LIMIT_EXCEEDED", retry_after_ms: 999_999 } };
      return { hang: true };
    }, { timeoutMs: 50, maxRetries: 0 });
    for (const p of ["/401", "/429", "/hang"]) expectNoToken(await homeserverFailure(http.get(p)));
  });
});

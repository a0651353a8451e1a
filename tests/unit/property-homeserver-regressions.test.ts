/** Counterexamples the homeserver property tests found, kept as plain regression tests. */
import { describe, expect, it } from "vitest";
import { describeHomeserverError, isHomeserverError, type HomeserverError } from "~/homeserver";
import { TOKEN, clientWith, type Reply } from "./property-homeserver-harness";

const http = (status: number, body: string, headers: Record<string, string> = {}): Reply => ({ kind: "http", status, headers, body });

async function rejection(p: Promise<unknown>): Promise<HomeserverError> {
  const e = await p.then(
    () => {
      throw new Error("expected a rejection");
    },
    (err: unknown) => err,
  );
  if (!isHomeserverError(e)) throw new Error(`not a HomeserverError: ${String(e)}`);
  return e;
}

function exposed(e: HomeserverError): string {
  return [e.message, String(e), JSON.stringify(e), describeHomeserverError(e)].join("\n");
}

describe("homeserver client regressions", () => {
  it("a redirect with a malformed Location is a HomeserverError, not a TypeError", async () => {
    const { hs } = clientWith([http(307, "{}", { location: "http://[" })]);
    const e = await rejection(hs.server.serverVersion());
    expect(e.kind).toBe("unexpected");
    expect(e.serverMessage).toBe("Redirected to <invalid url>");
  });

  it("a fetch rejecting with a prototype-less object is reported as unreachable", async () => {
    const { hs } = clientWith([{ kind: "reject", error: Object.create(null) }]);
    const e = await rejection(hs.server.federationVersion());
    expect(e.kind).toBe("unreachable");
  });

  it("numbers that overflow to Infinity are refused", async () => {
    const { hs } = clientWith([http(200, '{"token":"abcd","completed":1e400}')]);
    expect((await rejection(hs.tokens.get("abcd"))).kind).toBe("unexpected");
    const { hs: hs2 } = clientWith([http(200, '{"destinations":[],"total":-1e400}')]);
    expect((await rejection(hs2.federation.listDestinations())).kind).toBe("unexpected");
  });

  it("timestamps a Date cannot hold are refused (ms, and seconds that overflow once converted)", async () => {
    const user = { name: "@a:hs", admin: false, deactivated: false };
    const { hs } = clientWith([http(200, JSON.stringify({ users: [{ ...user, creation_ts: 1e308 }], total: 1 }))]);
    expect((await rejection(hs.users.list())).kind).toBe("unexpected");
    const { hs: hs2 } = clientWith([http(200, JSON.stringify({ ...user, creation_ts: -1e308 }))]);
    expect((await rejection(hs2.users.get("@a:hs"))).kind).toBe("unexpected");
    // Still accepted: a normal seconds value.
    const { hs: hs3 } = clientWith([http(200, JSON.stringify({ ...user, creation_ts: 1_700_000_000 }))]);
    expect((await hs3.users.get("@a:hs")).creationTs).toBe(1_700_000_000_000);
  });

  it("the token echoed in Content-Type, errcode, object keys, deep nesting or Location does not leak", async () => {
    const deep = `${"[".repeat(12)}"${TOKEN}"${"]".repeat(12)}`;
    const cases: Reply[] = [
      http(200, "not json", { "content-type": `text/html; charset=${TOKEN}` }),
      http(400, JSON.stringify({ errcode: TOKEN, error: "x" })),
      http(400, JSON.stringify({ errcode: "M_UNKNOWN", [TOKEN]: 1 })),
      http(400, `{"errcode":"M_UNKNOWN","deep":${deep}}`),
      http(302, "{}", { location: `https://evil.example/${TOKEN}` }),
      // A 200 that fails to parse: the zod issue path contains the record key the server chose.
      http(200, JSON.stringify({ user_id: "@a:hs", devices: { [TOKEN]: { sessions: 7 } } })),
    ];
    for (const reply of cases) {
      const { hs } = clientWith([reply]);
      const e = await rejection(hs.users.whois("@a:hs"));
      expect(exposed(e)).not.toContain(TOKEN);
    }
  });

  it("ids that cannot be one path segment are refused before anything is sent", async () => {
    for (const id of ["", ".", "..", "\uD800", "a\uDC00/"]) {
      const { hs, fake } = clientWith([http(200, "{}")]);
      const e = await rejection(hs.users.get(id));
      expect(e.kind).toBe("invalid_param");
      expect(e.status).toBeNull();
      expect(describeHomeserverError(e)).toMatch(/cannot be sent/);
      expect(fake.urls).toEqual([]);
    }
    // "%2e%2e" is fine: it is encoded to %252e%252e, which no URL parser reads as "..".
    const { hs, fake } = clientWith([http(200, "{}")]);
    await hs.tokens.delete("%2e%2e");
    expect(new URL(fake.urls[0]).pathname).toBe("/_synapse/admin/v1/registration_tokens/%252e%252e");
  });
});

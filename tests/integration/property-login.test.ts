/**
 * Property, through the real server and the simulator: POST /login with arbitrary form bodies (any fields, hostile
 * values, files, wrong content types, broken multipart) never answers a 5xx, and a redirect never leaves Steward's
 * origin. Each run is an HTTP round trip (sometimes a full sign-in), so the number of runs is modest.
 */
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSimulator, type Simulator } from "../simulator/index";
import { TestClient } from "../helpers/http";
import { startTestSteward, type TestSteward } from "../helpers/steward";

let sim: Simulator;
let steward: TestSteward;

beforeAll(async () => {
  sim = await startSimulator({ users: 5, seed: 11 });
  // Each run comes from its own X-Forwarded-For address so the per-IP sign-in limit does not hide the deeper paths.
  steward = await startTestSteward({ homeserverUrl: sim.url, env: { TRUST_PROXY: "loopback" } });
});
afterAll(async () => {
  await steward?.close();
  await sim?.close();
});

const HOSTILE = ["", " ", "\u0000", "\r\n", "<script>alert(1)</script>", "\u202Eevil", "x".repeat(10_000), "\uD800", "../..", "%zz", "@admin:hs", "=1+1", "👩‍👩‍👧"];
const hostile = fc.oneof(fc.constantFrom(...HOSTILE), fc.string({ unit: "binary", maxLength: 30 }));

const fields = fc.record(
  {
    homeserver: fc.oneof({ weight: 3, arbitrary: fc.constant("SIM") }, { weight: 1, arbitrary: fc.constant("SIM/") }, { weight: 2, arbitrary: hostile }, { weight: 1, arbitrary: fc.constantFrom("javascript:alert(1)", "http://127.0.0.1:1", "https://[::1", "ftp://x") }),
    mode: fc.oneof(fc.constantFrom("password", "token"), hostile),
    username: fc.oneof({ weight: 3, arbitrary: fc.constant("admin") }, { weight: 2, arbitrary: hostile }),
    password: fc.oneof({ weight: 3, arbitrary: fc.constant("admin") }, { weight: 2, arbitrary: hostile }),
    accessToken: hostile,
    next: fc.oneof(fc.constantFrom("/", "/audit?page=2", "//evil.example", "/\\evil.example", "/\t/evil.example", "/.//evil.example", "https://evil.example", "/👩", "/a b?c=d#e"), hostile),
    csrf: hostile,
    "an unexpected field \u202E": hostile,
  },
  { requiredKeys: [] },
);

type Body = { kind: "urlencoded" | "multipart" | "multipart-file"; fields: Record<string, string> } | { kind: "raw"; contentType: string; body: string };

const bodyArb: fc.Arbitrary<Body> = fc.oneof(
  { weight: 5, arbitrary: fields.map((f): Body => ({ kind: "urlencoded", fields: f as Record<string, string> })) },
  { weight: 2, arbitrary: fields.map((f): Body => ({ kind: "multipart", fields: f as Record<string, string> })) },
  { weight: 1, arbitrary: fields.map((f): Body => ({ kind: "multipart-file", fields: f as Record<string, string> })) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant("raw" as const),
      contentType: fc.constantFrom("application/x-www-form-urlencoded", "multipart/form-data", "multipart/form-data; boundary=x", "application/json", "text/plain", ""),
      body: fc.oneof(hostile, fc.constantFrom("homeserver=%ZZ&mode=password", "a=b&&&=&c", "--x\r\nContent-Disposition: form-data\r\n\r\nbroken", '{"homeserver":"x"}')),
    }),
  },
);

function request(b: Body, ip: string): RequestInit {
  const headers: Record<string, string> = { "X-Forwarded-For": ip };
  const resolve = (f: Record<string, string>) =>
    Object.entries(f).map(([k, v]) => [k, v === "SIM" ? sim.url : v === "SIM/" ? `${sim.url}/` : v] as [string, string]);
  if (b.kind === "urlencoded") {
    headers["Content-Type"] = "application/x-www-form-urlencoded";
    return { method: "POST", headers, body: new URLSearchParams(resolve(b.fields)).toString() };
  }
  if (b.kind === "raw") {
    if (b.contentType) headers["Content-Type"] = b.contentType;
    return { method: "POST", headers, body: b.body };
  }
  const fd = new FormData();
  for (const [k, v] of resolve(b.fields)) {
    if (b.kind === "multipart-file" && k !== "homeserver") fd.append(k, new Blob([v]), "f.txt");
    else fd.append(k, v);
  }
  return { method: "POST", headers, body: fd };
}

describe("POST /login with arbitrary forms", () => {
  it("never answers 5xx and never redirects off-site", async () => {
    let n = 0;
    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(bodyArb, async (b) => {
        n++;
        const res = await fetch(`${steward.url}/login`, { ...request(b, `198.51.100.${n % 250}`), redirect: "manual" });
        const text = await res.text();
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        expect(res.status, text.slice(0, 300)).toBeLessThan(500);
        if (res.status >= 300 && res.status < 400) {
          const location = res.headers.get("location") ?? "";
          expect(new URL(location, steward.url).origin).toBe(new URL(steward.url).origin);
          expect(location.startsWith("//")).toBe(false);
        }
      }),
      { numRuns: Number(process.env.PROPERTY_RUNS ?? 40) },
    );
    // The runs got past the form parsing into the refusals beside the fields (not only early exits).
    expect(statuses.get(400) ?? 0).toBeGreaterThan(0);
  });

  it("signs in and redirects to the resolved same-site path, even when next holds a browser trick", async () => {
    const cases: Array<[string, string]> = [
      ["/\t/evil.example", "/"],
      ["/.//evil.example", "/"],
      ["/👩", "/%F0%9F%91%A9"],
      ["/audit?page=2", "/audit?page=2"],
    ];
    for (const [next, expected] of cases) {
      const c = new TestClient(steward.url);
      const res = await c.postForm("/login", { mode: "password", username: "admin", password: "admin", next }, { "X-Forwarded-For": "203.0.113.77" });
      expect(res.status).toBe(302);
      expect(res.headers.get("location")).toBe(expected);
    }
  });

  it("a body that is not a form is a 400 with a message, not a server error", async () => {
    for (const contentType of ["text/plain", "application/json", "multipart/form-data"]) {
      const res = await fetch(`${steward.url}/login`, { method: "POST", redirect: "manual", headers: { "Content-Type": contentType, "X-Forwarded-For": "203.0.113.78" }, body: "{}" });
      expect(res.status).toBe(400);
      expect(await res.text()).toContain("The sign-in form could not be read");
    }
  });
});

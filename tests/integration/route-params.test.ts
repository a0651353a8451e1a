/**
 * Issue 14, item 18: no route parameter reaches the database unchecked. Every route of the build with a dynamic
 * segment (found from build/index.js, so a new one is covered) gets random values, NUL and other control
 * characters, unicode, over-long text: a value outside the parameter's grammar (a destination is a server name, a
 * user id a Matrix ID, a token Synapse's token alphabet, a collector a registry name) answers 404, never 500, and
 * no query sent to the database carries it. `GET /federation/%00` answered 500 (the embedded database rejects NUL).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import fc from "fast-check";
import { builtRoutes, mintSession, urlFor, type BuiltRoute } from "../helpers/routes";
import { startTestSteward, type TestSteward } from "../helpers/steward";
import { startSimulator, type Simulator } from "../simulator/index";
import { isCollectorName, isJobId, isMasTokenId, isMatrixUserId, isServerName, isTokenName } from "../../app/services/routing/params";

const GRAMMAR: Record<string, (s: string) => boolean> = {
  destination: isServerName,
  userId: isMatrixUserId,
  token: isTokenName,
  name: isCollectorName,
  jobId: isJobId,
  tokenId: isMasTokenId,
};

let sim: Simulator;
let steward: TestSteward;
let routes: BuiltRoute[];
let cookie: string;
/** Every parameter list sent to the database while a probe is in flight. */
let sent: unknown[][] = [];

beforeAll(async () => {
  sim = await startSimulator({ users: 6, seed: 3 });
  steward = await startTestSteward({ homeserverUrl: sim.url });
  routes = (await builtRoutes()).filter((r) => r.params.length > 0);
  // Record what reaches the database client (the same place the Server-Timing wrapper sits).
  const client = (steward.database.db as unknown as { $client: { query: (...a: unknown[]) => Promise<unknown> } }).$client;
  const query = client.query.bind(client);
  client.query = (...args: unknown[]) => {
    sent.push(Array.isArray(args[1]) ? (args[1] as unknown[]) : typeof args[0] === "object" && args[0] && "values" in (args[0] as object) ? ((args[0] as { values: unknown[] }).values ?? []) : []);
    return query(...args);
  };
  cookie = (await mintSession(steward, sim, "admin")).cookie;
});
afterAll(async () => {
  await steward?.close();
  await sim?.close();
});

const carries = (value: string) => sent.some((params) => params.some((p) => typeof p === "string" && (p === value || (value.length >= 3 && p.includes(value)))));

async function probe(route: BuiltRoute, param: string, value: string) {
  const values = Object.fromEntries(route.params.map((p) => [p, p === param ? value : "x"]));
  const url = urlFor(route, values);
  sent = [];
  const res = await fetch(steward.url + url, { headers: { Cookie: `steward_session=${cookie}` }, redirect: "manual" });
  await res.arrayBuffer();
  return { status: res.status, url };
}

describe("route parameters", () => {
  it("covers every dynamic segment of the build with a grammar", () => {
    const names = new Set(routes.flatMap((r) => r.params));
    expect([...names].sort()).toEqual(["destination", "jobId", "name", "token", "tokenId", "userId"]);
  });

  it("answers GET /federation/%00 with 404, not 500", async () => {
    const res = await fetch(`${steward.url}/federation/%00`, { headers: { Cookie: `steward_session=${cookie}` }, redirect: "manual" });
    expect(res.status).toBe(404);
  });

  it("answers 404 before any query for values outside the grammar, and never 500", async () => {
    const nasty = fc.oneof(
      fc.string({ unit: "grapheme", maxLength: 40 }),
      fc.string({ unit: fc.constantFrom("\0", "\u202e", "@", ":", "%", "/", " ", "a", "Z", ".", "-", "[", "]", "1", "\n", "'", '"'), maxLength: 20 }),
      fc.constantFrom("\0", "a\0b", "@x:y\0", "@user:exa mple.org", "@:example.org", "@a:", "a".repeat(300), `@a:${"b".repeat(260)}`, "x;drop table", "\u202egnp.exe"),
    );
    let probes = 0;
    for (const route of routes) {
      for (const param of route.params) {
        const valid = GRAMMAR[param];
        await fc.assert(
          fc.asyncProperty(nasty, async (value) => {
            if (valid(value) || value === "" || value === "." || value === ".." || /^[.]+$/.test(value)) return;
            probes++;
            const { status, url } = await probe(route, param, value);
            expect(status, `${url}`).toBe(404);
            expect(carries(value), `${url} reached the database with ${JSON.stringify(value)}`).toBe(false);
          }),
          { numRuns: 60, seed: 14 },
        );
      }
    }
    expect(probes).toBeGreaterThan(100);
  });

  it("still opens the pages of valid values (the check lets real ones through)", async () => {
    const dest = [...sim.state.federation.destinations.keys()][0];
    for (const [path, status] of [
      [`/federation/${encodeURIComponent(dest)}`, 200],
      [`/users/${encodeURIComponent(`@admin:${sim.serverName}`)}`, 200],
      [`/tokens/${encodeURIComponent([...sim.state.registrationTokens.keys()][0])}`, 200],
    ] as const) {
      const res = await fetch(steward.url + path, { headers: { Cookie: `steward_session=${cookie}` }, redirect: "manual" });
      expect(res.status, path).toBe(status);
    }
  });
});

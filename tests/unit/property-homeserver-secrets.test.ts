/**
 * Property: Steward's access token never appears in what an error exposes (message, String(e), JSON.stringify(e),
 * the admin-facing description, the scrubbed cause) even when the server echoes it back in its body — in values,
 * keys, deeply nested, in errcode/error — or in its headers (Location, Content-Type, anything else).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { describeHomeserverError, isHomeserverError, type HomeserverError } from "~/homeserver";
import { API_CASES, TOKEN, clientWith, hostileLeaf, replyFor, settle, toJsonText, type Reply } from "./property-homeserver-harness";

const RUNS = Number(process.env.PROPERTY_RUNS ?? 60);

/** Every place an error could carry text to a log, a page or a JSON API. */
function exposedText(e: HomeserverError): string[] {
  return [
    e.message,
    String(e),
    JSON.stringify(e),
    describeHomeserverError(e),
    JSON.stringify((e as { cause?: unknown }).cause ?? null),
    e.stack ?? "",
  ];
}

/** Bodies that put the token everywhere a careless parser would copy it from. */
const echoingBody: fc.Arbitrary<string> = fc
  .record(
    {
      errcode: fc.constantFrom(TOKEN, `M_${TOKEN}`, "M_UNKNOWN_TOKEN", "M_LIMIT_EXCEEDED", "M_FORBIDDEN", "M_UNRECOGNIZED"),
      error: fc.constantFrom(`Token ${TOKEN} is unknown`, TOKEN, "x"),
      access_token: fc.constant(TOKEN),
      [TOKEN]: hostileLeaf,
      nested: fc.constant({ list: [{ deeper: { again: [TOKEN, { [TOKEN]: TOKEN }] } }] }),
      deep: fc.constant(JSON.parse(`${"[".repeat(15)}"${TOKEN}"${"]".repeat(15)}`) as unknown),
      devices: fc.constant({ [TOKEN]: { sessions: 7 } }), // a record keyed by the token, with an invalid value
      users: fc.constant([{ name: TOKEN, admin: "no" }]),
      flows: fc.constantFrom([{ stages: [TOKEN] }], TOKEN),
      session: fc.constantFrom(TOKEN, 5),
    },
    { requiredKeys: [] },
  )
  .map(toJsonText);

const echoingReply: fc.Arbitrary<Reply> = fc.record({
  kind: fc.constant("http" as const),
  status: fc.constantFrom(200, 200, 301, 302, 307, 400, 401, 403, 404, 405, 429, 500, 502),
  headers: fc
    .record(
      {
        location: fc.constantFrom(`https://evil.example/${TOKEN}`, `/?token=${TOKEN}`, `/#${TOKEN}`, `https://u:${TOKEN}@evil.example/`, `/?access_token=${TOKEN}`),
        "content-type": fc.constantFrom(`text/html; charset=${TOKEN}`, `application/${TOKEN}`, "text/plain"),
        "retry-after": fc.constantFrom("1", TOKEN),
        "www-authenticate": fc.constant(`Bearer realm="${TOKEN}"`),
      },
      { requiredKeys: [] },
    ),
  body: fc.oneof(echoingBody, fc.constantFrom(TOKEN, `<html>${TOKEN}</html>`, `{"error":"${TOKEN}"`)),
});

describe("the access token never leaks through errors", () => {
  for (const api of API_CASES) {
    it(`${api.name}`, async () => {
      let errors = 0;
      await fc.assert(
        fc.asyncProperty(fc.array(fc.oneof({ weight: 4, arbitrary: echoingReply }, { weight: 1, arbitrary: replyFor(api.samples) }), { minLength: 1, maxLength: 4 }), async (replies) => {
          const { hs } = clientWith(replies);
          const outcome = await settle(api.call(hs));
          const found: HomeserverError[] = [];
          if (!outcome.ok) {
            if (!isHomeserverError(outcome.error)) throw new Error(`not a HomeserverError: ${String(outcome.error)}`);
            found.push(outcome.error);
          } else {
            // Discovery probes return their failures as data.
            const v = outcome.value as { outcome?: string; error?: unknown; detail?: string } | null;
            if (v?.outcome === "error" && isHomeserverError(v.error)) found.push(v.error);
            if (v?.outcome === "invalid") expect(v.detail).not.toContain(TOKEN);
          }
          for (const e of found) {
            errors++;
            for (const text of exposedText(e)) expect(text).not.toContain(TOKEN);
          }
        }),
        { numRuns: RUNS },
      );
      expect(errors).toBeGreaterThan(0); // the property really looked at errors
    });
  }
});

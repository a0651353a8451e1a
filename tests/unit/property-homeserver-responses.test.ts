/**
 * Property: whatever a homeserver (or something pretending to be one) answers — any status, headers, arbitrary or
 * truncated JSON, valid shapes with hostile values, non-JSON, empty bodies, broken streams, failing fetches — every
 * client call either resolves with a value of its documented type or rejects with a HomeserverError. Never another
 * exception, never an unhandled rejection, never a hang (retries use an instant injected sleep).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isHomeserverError } from "~/homeserver";
import { API_CASES, clientWith, repliesFor, settle, withUnhandledRejections } from "./property-homeserver-harness";

const RUNS = Number(process.env.PROPERTY_RUNS ?? 120);

describe("every homeserver call under arbitrary responses", () => {
  it("covers every API area of the client", () => {
    const areas = new Set(API_CASES.map((c) => c.name.split(".")[0]));
    expect([...areas].sort()).toEqual(
      ["accountData", "auth", "devices", "discovery", "federation", "keys", "notices", "register", "server", "tokens", "users"].sort(),
    );
  });

  for (const api of API_CASES) {
    it(`${api.name}: resolves with its documented type or rejects with a HomeserverError`, async () => {
      const unhandled = await withUnhandledRejections(async () => {
        await fc.assert(
          fc.asyncProperty(repliesFor(api.samples), async (replies) => {
            const { hs } = clientWith(replies);
            const outcome = await settle(api.call(hs));
            if (outcome.ok) {
              const check = api.result.safeParse(outcome.value);
              if (!check.success) throw new Error(`resolved with an undocumented value: ${check.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`);
            } else if (!isHomeserverError(outcome.error)) {
              throw new Error(`rejected with ${String((outcome.error as Error)?.name)}: ${String((outcome.error as Error)?.message).slice(0, 300)}`);
            }
          }),
          { numRuns: RUNS },
        );
      });
      expect(unhandled).toEqual([]);
    });
  }
});

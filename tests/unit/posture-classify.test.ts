// Canonical JSON, real ed25519 signature checks, the per-user verdicts, and CSV neutralisation.
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { canonicalJson, verifySignature } from "../../app/services/posture/canonical-json.server";
import { classifyUser, inferBackup, recoveryOf, type UserFacts } from "../../app/services/posture/classify.server";
import { csvCell, isInertMatrixId } from "../../app/services/posture/export.server";
import type { CrossSigningKeyJson, Device, DeviceKeysJson } from "../../app/homeserver/index";
import { createState, addUser, addDevice } from "../simulator/state";
import { applyPosture, crossSignDevice, publicKeyOf, setUpCrossSigning, simCanonicalJson, uploadDeviceKeys } from "../simulator/seed-posture";

const NOW = Date.UTC(2026, 0, 1);
const DAY = 86_400_000;

describe("canonical JSON", () => {
  it("sorts keys by code point and drops whitespace (spec examples)", () => {
    expect(canonicalJson({ b: "2", a: "1" })).toBe('{"a":"1","b":"2"}');
    expect(canonicalJson({ one: 1, two: "Two" })).toBe('{"one":1,"two":"Two"}');
    expect(canonicalJson({ a: "日本語" })).toBe('{"a":"日本語"}');
    expect(canonicalJson({ 本: 2, 日: 1 })).toBe('{"日":1,"本":2}');
    expect(canonicalJson({ a: "\u0000" })).toBe('{"a":"\\u0000"}');
    expect(() => canonicalJson({ a: 1.5 })).toThrow();
  });

  it("agrees with the simulator's independent implementation", () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 3 }), (v) => {
        const clean = JSON.parse(JSON.stringify(v, (_k, x) => (typeof x === "number" ? Math.trunc(x) : x)));
        expect(canonicalJson(clean)).toBe(simCanonicalJson(clean));
      }),
    );
  });
});

function world() {
  const state = createState("sim.test", "1.132.0");
  addUser(state, { localpart: "u" }, NOW);
  const u = "@u:sim.test";
  addDevice(state, u, { device_id: "AAAA", last_seen_ts: NOW - DAY });
  addDevice(state, u, { device_id: "BBBB", last_seen_ts: NOW - 200 * DAY });
  addDevice(state, u, { device_id: "CCCC", last_seen_ts: null });
  return { state, u };
}

function facts(state: ReturnType<typeof world>["state"], u: string): UserFacts {
  const k = state.posture.keys.get(u);
  return {
    user: { userId: u, displayname: null, userType: null, deactivated: false, admin: false },
    keys: {
      visible: true,
      master: k?.master as CrossSigningKeyJson | undefined,
      selfSigning: k?.selfSigning as CrossSigningKeyJson | undefined,
      deviceKeys: Object.fromEntries([...(k?.devices ?? [])].map(([id, dk]) => [id, structuredClone(dk) as DeviceKeysJson])),
    },
    devices: [...state.devices.get(u)!.values()].map(
      (d): Device => ({ deviceId: d.device_id, userId: u, displayName: d.display_name, lastSeenIp: null, lastSeenTs: d.last_seen_ts, lastSeenUserAgent: null, dehydrated: false }),
    ),
    accountData: state.accountData.get(u)?.global ?? {},
    backupSource: "account_data",
  };
}

describe("signatures and devices", () => {
  it("verifies real ed25519 signatures made by the simulator, and rejects a tampered object", () => {
    const { state, u } = world();
    setUpCrossSigning(state, u);
    const dk = uploadDeviceKeys(state, u, "AAAA");
    crossSignDevice(state, u, "AAAA");
    const ssk = publicKeyOf(state.posture.keys.get(u)!.selfSigning)!;
    expect(verifySignature(dk, u, `ed25519:${ssk}`, ssk)).toBe(true);
    expect(verifySignature({ ...dk, device_id: "EVIL" }, u, `ed25519:${ssk}`, ssk)).toBe(false);
    expect(verifySignature({ ...dk, unsigned: { device_display_name: "ignored" } }, u, `ed25519:${ssk}`, ssk)).toBe(true);
    expect(verifySignature(dk, u, "ed25519:nope", ssk)).toBe(false);
  });

  it("classifies cross-signed, unverified (incl. a forged signature under the right key id), no-keys and stale sessions", () => {
    const { state, u } = world();
    applyPosture(state, u, "full");
    uploadDeviceKeys(state, u, "BBBB"); // re-uploaded keys: no longer cross-signed
    const f = facts(state, u);
    delete f.keys.deviceKeys.CCCC; // never uploaded keys
    // A signature under the current self-signing key id that does not verify must not count.
    const ssk = publicKeyOf(state.posture.keys.get(u)!.selfSigning)!;
    f.keys.deviceKeys.BBBB.signatures[u][`ed25519:${ssk}`] = f.keys.deviceKeys.AAAA.signatures[u][`ed25519:${ssk}`];
    const v = classifyUser(f, { now: NOW, staleDays: 90 });
    expect(v.deviceList.map((d) => [d.id, d.state, d.stale])).toEqual([
      ["AAAA", "cross_signed", false],
      ["BBBB", "unverified", true],
      ["CCCC", "no_keys", false],
    ]);
    expect(v).toMatchObject({ crossSigning: "ok", recovery: "ok", keyBackup: "ok", noUnverifiedSessions: "missing", fullySecured: "missing", unverifiedDevices: 1, staleDevices: 1, noKeyDevices: 1 });
  });

  it("a self-signing key not signed by the master key is not cross-signing", () => {
    const { state, u } = world();
    setUpCrossSigning(state, u);
    const f = facts(state, u);
    f.keys.selfSigning = { ...f.keys.selfSigning!, signatures: {} };
    expect(classifyUser(f, { now: NOW, staleDays: 90 }).crossSigning).toBe("missing");
  });

  it("a user left out of keys/query is unknown, never missing", () => {
    const { state, u } = world();
    const f = facts(state, u);
    f.keys = { visible: false, reason: "limited", deviceKeys: {} };
    const v = classifyUser(f, { now: NOW, staleDays: 90 });
    expect([v.crossSigning, v.noUnverifiedSessions, v.fullySecured]).toEqual(["unknown", "unknown", "missing"]);
    expect(v.deviceList.every((d) => d.state === "unknown")).toBe(true);
  });
});

describe("account-data signals", () => {
  it("recovery needs the default key, its description and the cross-signing secrets", () => {
    expect(recoveryOf(null, "boom")).toMatchObject({ status: "unknown", note: "boom" });
    expect(recoveryOf({}).status).toBe("missing");
    const { state, u } = world();
    applyPosture(state, u, "full");
    const global = state.accountData.get(u)!.global;
    expect(recoveryOf(global).status).toBe("ok");
    const partial = { ...global };
    delete partial["m.cross_signing.user_signing"];
    expect(recoveryOf(partial)).toMatchObject({ status: "missing", note: expect.stringContaining("user_signing") });
  });

  it("inferred backup: key in storage → ok, turned off → missing, nothing → unknown (never missing)", () => {
    expect(inferBackup({}, undefined).status).toBe("unknown");
    expect(inferBackup({ "m.key_backup": { enabled: false } }, undefined).status).toBe("missing");
    expect(inferBackup({ "m.org.matrix.custom.backup_disabled": { disabled: true } }, undefined).status).toBe("missing");
    expect(inferBackup({ "m.megolm_backup.v1": { encrypted: { k: {} } } }, "k").status).toBe("ok");
    expect(inferBackup(null, undefined).status).toBe("unknown");
  });

  it("§8: cross-signing-only and backup-only users have no account data at all", () => {
    for (const kind of ["cross_signing_only", "backup_only"] as const) {
      const { state, u } = world();
      applyPosture(state, u, kind);
      expect(state.accountData.get(u)).toBeUndefined();
    }
    const { state, u } = world();
    applyPosture(state, u, "full");
    expect(Object.keys(state.accountData.get(u)!.global).sort()).toEqual(
      [
        "m.cross_signing.master",
        "m.cross_signing.self_signing",
        "m.cross_signing.user_signing",
        "m.megolm_backup.v1",
        "m.secret_storage.default_key",
        `m.secret_storage.key.${(state.accountData.get(u)!.global["m.secret_storage.default_key"] as { key: string }).key}`,
      ].sort(),
    );
  });
});

describe("CSV cells", () => {
  it("neutralises formula starters and quotes when needed", () => {
    expect(csvCell("=1+1")).toBe("'=1+1");
    expect(csvCell("+1")).toBe("'+1");
    expect(csvCell("-1")).toBe("'-1");
    // A well-formed Matrix ID stays as it is (issue 14, item 24); an "@" that is not one, or reads as a range, does not.
    expect(csvCell("@alice:hs")).toBe("@alice:hs");
    expect(csvCell("@SUM(A1)")).toBe("'@SUM(A1)");
    expect(csvCell("@a1:b2")).toBe("'@a1:b2");
    expect(csvCell("\tx")).toBe("'\tx");
    expect(csvCell("\rx")).toBe("\"'\rx\"");
    expect(csvCell('=HYPERLINK("http://x","y")')).toBe('"\'=HYPERLINK(""http://x"",""y"")"');
    expect(csvCell("plain")).toBe("plain");
    expect(csvCell(null)).toBe("");
    fc.assert(
      fc.property(fc.string(), (s) => {
        if (isInertMatrixId(s)) expect(csvCell(s)).toBe(s);
        else expect(csvCell(s).replace(/^"/, "")).not.toMatch(/^[=+\-@\t\r]/);
      }),
    );
  });
});

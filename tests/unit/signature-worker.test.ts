// The worker-thread signature verifier agrees with the in-thread check on real, tampered, forged and malformed
// signatures (including after its worker is gone), and classifyUser gives the same verdict with either.
import { afterEach, describe, expect, it } from "vitest";
import { verifySignature } from "../../app/services/posture/canonical-json.server";
import { classifyUser, signatureChecks, type UserFacts } from "../../app/services/posture/classify.server";
import { SignatureVerifier, type SignatureCheck } from "../../app/services/posture/signature-worker.server";
import type { CrossSigningKeyJson, DeviceKeysJson } from "../../app/homeserver/index";
import { addDevice, addUser, createState } from "../simulator/state";
import { crossSignDevice, publicKeyOf, setUpCrossSigning, uploadDeviceKeys } from "../simulator/seed-posture";

const NOW = Date.UTC(2026, 0, 1);
let verifier: SignatureVerifier | undefined;
afterEach(async () => {
  await verifier?.close();
  verifier = undefined;
});

function world() {
  const state = createState("sim.test", "1.132.0");
  const u = "@u:sim.test";
  addUser(state, { localpart: "u" }, NOW);
  for (const id of ["AAAA", "BBBB", "CCCC"]) addDevice(state, u, { device_id: id, last_seen_ts: NOW });
  setUpCrossSigning(state, u);
  uploadDeviceKeys(state, u, "AAAA");
  crossSignDevice(state, u, "AAAA");
  uploadDeviceKeys(state, u, "BBBB"); // keys, not cross-signed
  const k = state.posture.keys.get(u)!;
  return { state, u, k, ssk: publicKeyOf(k.selfSigning)!, mk: publicKeyOf(k.master)! };
}

function checksFor(w: ReturnType<typeof world>): SignatureCheck[] {
  const dkA = w.k.devices.get("AAAA") as Record<string, unknown>;
  const dkB = w.k.devices.get("BBBB") as Record<string, unknown>;
  const forged = { ...dkB, signatures: dkA.signatures }; // a real signature, over other bytes
  return [
    { obj: w.k.selfSigning as Record<string, unknown>, signer: w.u, keyId: `ed25519:${w.mk}`, publicKeyBase64: w.mk },
    { obj: dkA, signer: w.u, keyId: `ed25519:${w.ssk}`, publicKeyBase64: w.ssk },
    { obj: { ...dkA, device_id: "EVIL" }, signer: w.u, keyId: `ed25519:${w.ssk}`, publicKeyBase64: w.ssk },
    { obj: dkB, signer: w.u, keyId: `ed25519:${w.ssk}`, publicKeyBase64: w.ssk },
    { obj: forged, signer: w.u, keyId: `ed25519:${w.ssk}`, publicKeyBase64: w.ssk },
    { obj: dkA, signer: w.u, keyId: `ed25519:${w.ssk}`, publicKeyBase64: "not base64!" },
    { obj: dkA, signer: w.u, keyId: `ed25519:${w.ssk}`, publicKeyBase64: "AAAA" }, // 3 bytes, not a key
    { obj: { ...dkA, extra: 1.5 }, signer: w.u, keyId: `ed25519:${w.ssk}`, publicKeyBase64: w.ssk }, // not canonicalisable
    { obj: {}, signer: w.u, keyId: `ed25519:${w.ssk}`, publicKeyBase64: w.ssk },
  ];
}

describe("SignatureVerifier", () => {
  it("gives exactly the in-thread answers, in order", async () => {
    const w = world();
    const checks = checksFor(w);
    const expected = checks.map((c) => verifySignature(c.obj, c.signer, c.keyId, c.publicKeyBase64));
    expect(expected).toEqual([true, true, false, false, false, false, false, false, false]);
    verifier = new SignatureVerifier();
    expect(await verifier.verifyAll(checks)).toEqual(expected);
    // Many batches at once come back to their callers.
    const many = await Promise.all(Array.from({ length: 20 }, (_, i) => verifier!.verifyAll(i % 2 ? checks : [...checks].reverse())));
    many.forEach((r, i) => expect(r).toEqual(i % 2 ? expected : [...expected].reverse()));
  });

  it("splits a large batch over several threads and keeps every answer in its place", async () => {
    const w = world();
    const one = checksFor(w);
    const expected = one.map((c) => verifySignature(c.obj, c.signer, c.keyId, c.publicKeyBase64));
    // 60 copies, every other one reversed: a share boundary falls inside the pattern, not on it.
    const checks = Array.from({ length: 60 }, (_, i) => (i % 2 ? [...one].reverse() : one)).flat();
    const want = Array.from({ length: 60 }, (_, i) => (i % 2 ? [...expected].reverse() : expected)).flat();
    verifier = new SignatureVerifier(3);
    expect(await verifier.verifyAll(checks)).toEqual(want);
    expect(want.filter(Boolean)).toHaveLength(120);
  });

  it("still checks (on this thread) after its worker is gone", async () => {
    const w = world();
    verifier = new SignatureVerifier();
    await verifier.verifyAll(checksFor(w));
    await verifier.close();
    expect(await verifier.verifyAll(checksFor(w))).toEqual([true, true, false, false, false, false, false, false, false]);
  });

  it("classifyUser with results computed ahead equals classifyUser checking inline", async () => {
    const w = world();
    const facts: UserFacts = {
      user: { userId: w.u, displayname: null, userType: null, deactivated: false, admin: false },
      keys: {
        visible: true,
        master: w.k.master as CrossSigningKeyJson,
        selfSigning: w.k.selfSigning as CrossSigningKeyJson,
        deviceKeys: Object.fromEntries([...w.k.devices].map(([id, dk]) => [id, dk as DeviceKeysJson])),
      },
      devices: ["AAAA", "BBBB", "CCCC"].map((id) => ({ deviceId: id, userId: w.u, displayName: null, lastSeenIp: null, lastSeenTs: NOW, lastSeenUserAgent: null, dehydrated: false })),
      accountData: {},
      backupSource: "account_data",
    };
    const checks = signatureChecks(w.u, facts.keys);
    expect(checks).toHaveLength(3); // the self-signing key, and the two devices with keys
    verifier = new SignatureVerifier();
    const results = await verifier.verifyAll(checks);
    const ahead = classifyUser(facts, {
      now: NOW,
      staleDays: 90,
      verify: (obj, signer, keyId, pub) => results[checks.findIndex((c) => c.obj === obj && c.keyId === keyId && c.signer === signer && c.publicKeyBase64 === pub)],
    });
    const inline = classifyUser(facts, { now: NOW, staleDays: 90 });
    expect(ahead).toEqual(inline);
    expect(ahead.deviceList.map((d) => d.state)).toEqual(["cross_signed", "unverified", "no_keys"]);
  });
});

// ed25519 verification (decision 026): libsodium when it loads, OpenSSL otherwise; both give the same answers on
// real, tampered and malformed signatures, and libsodium (what Synapse verifies with) refuses the small-order key
// that OpenSSL lets sign anything. Both thread paths of the scan's verifier follow the same choice.
import crypto from "node:crypto";
import { afterEach, describe, expect, it, vi } from "vitest";

type Ed25519Module = typeof import("../../app/services/posture/ed25519.server");

async function fresh(env?: string): Promise<Ed25519Module> {
  vi.resetModules();
  if (env) process.env.STEWARD_ED25519 = env;
  else delete process.env.STEWARD_ED25519;
  return import("../../app/services/posture/ed25519.server");
}

afterEach(() => {
  delete process.env.STEWARD_ED25519;
  vi.resetModules();
});

function signed() {
  const { publicKey, privateKey } = crypto.generateKeyPairSync("ed25519");
  const raw = Buffer.from(publicKey.export({ format: "jwk" }).x!, "base64url");
  const data = Buffer.from('{"algorithms":["m.olm.v1.curve25519-aes-sha2"],"device_id":"ABCDEFGH","user_id":"@u:sim.test"}');
  const sig = crypto.sign(null, data, privateKey);
  return { raw, data, sig };
}

// The identity point as a public key, and R = identity, S = 0: "valid" for every message under a verifier that does
// not refuse small-order points.
const SMALL_ORDER_KEY = Buffer.concat([Buffer.from([1]), Buffer.alloc(31)]);
const SMALL_ORDER_SIG = Buffer.concat([Buffer.from([1]), Buffer.alloc(63)]);

describe("verifyEd25519", () => {
  for (const backend of ["libsodium", "OpenSSL"] as const) {
    it(`${backend}: a real signature verifies; tampered data, a flipped bit, another key and wrong lengths do not`, async () => {
      const m = await fresh(backend === "OpenSSL" ? "openssl" : undefined);
      expect(m.ed25519Backend()).toBe(backend);
      const { raw, data, sig } = signed();
      const other = signed();
      expect(m.verifyEd25519(data, sig, raw)).toBe(true);
      expect(m.verifyEd25519(new Uint8Array(data), new Uint8Array(sig), new Uint8Array(raw))).toBe(true); // as a worker receives them
      expect(m.verifyEd25519(Buffer.concat([data, Buffer.from(" ")]), sig, raw)).toBe(false);
      const flipped = Buffer.from(sig);
      flipped[10] ^= 1;
      expect(m.verifyEd25519(data, flipped, raw)).toBe(false);
      expect(m.verifyEd25519(data, sig, other.raw)).toBe(false);
      expect(m.verifyEd25519(data, sig.subarray(0, 63), raw)).toBe(false);
      expect(m.verifyEd25519(data, sig, raw.subarray(0, 31))).toBe(false);
      expect(m.sodiumModulePath() === null).toBe(backend === "OpenSSL");
    });
  }

  it("libsodium refuses a small-order key that OpenSSL accepts for any message", async () => {
    const sodium = await fresh();
    expect(sodium.verifyEd25519(Buffer.from("anything at all"), SMALL_ORDER_SIG, SMALL_ORDER_KEY)).toBe(false);
    const openssl = await fresh("openssl");
    expect(openssl.verifyEd25519(Buffer.from("anything at all"), SMALL_ORDER_SIG, SMALL_ORDER_KEY)).toBe(true);
  });

  it("the worker thread uses libsodium too: the small-order forgery fails there as on this thread", async () => {
    await fresh();
    const { SignatureVerifier } = await import("../../app/services/posture/signature-worker.server");
    const { canonicalJson } = await import("../../app/services/posture/canonical-json.server");
    const b64 = (b: Buffer) => b.toString("base64").replace(/=+$/, "");
    const keyB64 = b64(SMALL_ORDER_KEY);
    const forged = { device_id: "EVIL", user_id: "@u:sim.test", signatures: { "@u:sim.test": { [`ed25519:${keyB64}`]: b64(SMALL_ORDER_SIG) } } };
    const { privateKey, publicKey } = crypto.generateKeyPairSync("ed25519");
    const real: Record<string, unknown> = { device_id: "REAL", user_id: "@u:sim.test" };
    const realKey = b64(Buffer.from(publicKey.export({ format: "jwk" }).x!, "base64url"));
    real.signatures = { "@u:sim.test": { [`ed25519:${realKey}`]: b64(crypto.sign(null, Buffer.from(canonicalJson({ device_id: "REAL", user_id: "@u:sim.test" })), privateKey)) } };
    const verifier = new SignatureVerifier(1);
    try {
      const out = await verifier.verifyAll([
        { obj: forged, signer: "@u:sim.test", keyId: `ed25519:${keyB64}`, publicKeyBase64: keyB64 },
        { obj: real, signer: "@u:sim.test", keyId: `ed25519:${realKey}`, publicKeyBase64: realKey },
      ]);
      expect(out).toEqual([false, true]);
    } finally {
      await verifier.close();
    }
  });
});

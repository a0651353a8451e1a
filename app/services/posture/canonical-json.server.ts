/**
 * Matrix canonical JSON and ed25519 signature checks (spec: Appendices › Signing JSON).
 *
 * Canonical JSON: object keys sorted by code point, no insignificant whitespace, UTF-8, no floats. Signed objects
 * are checked over their canonical form with `signatures` and `unsigned` removed. ed25519 public keys
 * arrive as unpadded standard base64 of the 32 raw bytes; ed25519.server.ts verifies (libsodium, else OpenSSL).
 */
import { verifyEd25519 } from "./ed25519.server";

export function canonicalJson(value: unknown): string {
  if (value === null || typeof value === "boolean" || typeof value === "string") return JSON.stringify(value);
  if (typeof value === "number") {
    if (!Number.isInteger(value)) throw new Error("canonical JSON allows only integers");
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      // Code-point order, not locale order (what Python's sort_keys does on str).
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  throw new Error(`canonical JSON cannot encode ${typeof value}`);
}

/** The bytes a signature covers: the object without `signatures` and `unsigned`. */
export function signedBytes(obj: Record<string, unknown>): Buffer {
  const { signatures: _s, unsigned: _u, ...rest } = obj;
  return Buffer.from(canonicalJson(rest), "utf8");
}

/** Unpadded (or padded) standard or URL-safe base64 → bytes; null when it is not base64 at all. */
export function decodeBase64(s: string): Buffer | null {
  if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(s)) return null;
  return Buffer.from(s.replace(/-/g, "+").replace(/_/g, "/"), "base64");
}

/**
 * What checking `obj.signatures[signer][keyId]` by `publicKeyBase64` needs: the signed bytes, the 64-byte signature
 * and the 32-byte raw key; null when the check cannot pass (missing or malformed signature or key, or an object
 * that has no canonical form). Shared by the in-thread check and the worker-thread verifier.
 */
export function signatureInputs(
  obj: Record<string, unknown>,
  signer: string,
  keyId: string,
  publicKeyBase64: string,
): { data: Buffer; sig: Buffer; rawKey: Buffer } | null {
  const sigs = obj.signatures as Record<string, Record<string, unknown>> | undefined;
  const sig = sigs?.[signer]?.[keyId];
  if (typeof sig !== "string") return null;
  const sigBytes = decodeBase64(sig);
  const rawKey = decodeBase64(publicKeyBase64);
  if (!sigBytes || sigBytes.length !== 64 || !rawKey || rawKey.length !== 32) return null;
  try {
    return { data: signedBytes(obj), sig: sigBytes, rawKey };
  } catch {
    return null; // not canonicalisable (e.g. a float): cannot carry a valid signature
  }
}

/**
 * Does `obj.signatures[signer][keyId]` hold a valid ed25519 signature of `obj` by `publicKeyBase64`?
 * False for a missing, malformed or wrong signature — never throws on hostile input.
 */
export function verifySignature(obj: Record<string, unknown>, signer: string, keyId: string, publicKeyBase64: string): boolean {
  const inputs = signatureInputs(obj, signer, keyId, publicKeyBase64);
  return inputs ? verifyEd25519(inputs.data, inputs.sig, inputs.rawKey) : false;
}

/**
 * Verifies our server's signing-key response: an ed25519 signature over the Matrix canonical JSON of the
 * document (without `signatures` and `unsigned`), with Node's crypto. Never throws on hostile input.
 */
import crypto from "node:crypto";

/** Matrix canonical JSON: keys in code-point order, no insignificant whitespace, UTF-8 as is. */
function canonical(value: unknown): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(",")}}`;
}

const b64 = (s: string) => (/^[A-Za-z0-9+/_-]*={0,2}$/.test(s) ? Buffer.from(s.replace(/-/g, "+").replace(/_/g, "/"), "base64") : null);

/** Is `doc.signatures[signer][keyId]` a valid signature of `doc` by the unpadded-base64 ed25519 key? */
export function verifyKeySignature(doc: Record<string, unknown>, signer: string, keyId: string, publicKey: string): boolean {
  const sig = (doc.signatures as Record<string, Record<string, unknown>> | undefined)?.[signer]?.[keyId];
  const raw = b64(publicKey);
  const sigBytes = typeof sig === "string" ? b64(sig) : null;
  if (!raw || raw.length !== 32 || !sigBytes || sigBytes.length !== 64) return false;
  try {
    const key = crypto.createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x: raw.toString("base64url") }, format: "jwk" });
    const { signatures: _s, unsigned: _u, ...signed } = doc;
    return crypto.verify(null, Buffer.from(canonical(signed), "utf8"), key, sigBytes);
  } catch {
    return false;
  }
}

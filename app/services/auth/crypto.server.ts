/**
 * Secrets at rest: homeserver access tokens are stored AES-256-GCM encrypted with a key derived (HKDF) from
 * SESSION_SECRET, so a copy of Steward's database alone does not hand out admin credentials.
 */
import crypto from "node:crypto";

/**
 * Derived once per secret and purpose: every signed-in request decrypts its session's token, and HKDF per request
 * was a visible share of serving a stored page (load benchmark). One secret per process, so this stays tiny.
 */
const derivedKeys = new Map<string, Buffer>();
function deriveKey(secret: string, purpose: string): Buffer {
  const id = `${purpose}\n${secret}`;
  let key = derivedKeys.get(id);
  if (!key) {
    key = Buffer.from(crypto.hkdfSync("sha256", Buffer.from(secret, "utf8"), Buffer.alloc(0), Buffer.from(purpose, "utf8"), 32));
    if (derivedKeys.size > 16) derivedKeys.clear();
    derivedKeys.set(id, key);
  }
  return key;
}

const TAG_BYTES = 16;

export function encryptSecret(secret: string, plaintext: string): string {
  const key = deriveKey(secret, "steward/access-token/v1");
  const iv = crypto.randomBytes(12);
  const cipher = crypto.createCipheriv("aes-256-gcm", key, iv);
  const body = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
  return ["v1", iv.toString("base64url"), body.toString("base64url"), cipher.getAuthTag().toString("base64url")].join(".");
}

/** Returns null when the value cannot be decrypted (another SESSION_SECRET, tampering). */
/**
 * Strict base64url: Buffer.from skips characters outside the alphabet and ignores the spare bits of the last
 * character, so several spellings decode to the same bytes. Only the exact spelling we wrote is accepted.
 */
function strictBase64url(part: string): Buffer | null {
  if (!/^[A-Za-z0-9_-]+$/.test(part)) return null;
  const bytes = Buffer.from(part, "base64url");
  return bytes.toString("base64url") === part ? bytes : null;
}

export function decryptSecret(secret: string, sealed: string): string | null {
  const [version, iv, body, tag] = sealed.split(".");
  if (version !== "v1" || !iv || !body || !tag) return null;
  if (!strictBase64url(iv) || !strictBase64url(body) || !strictBase64url(tag)) return null;
  try {
    // Node accepts GCM tags as short as 4 bytes unless told otherwise, so a truncated tag would still
    // authenticate (and be far easier to forge): insist on the full 16 bytes we write.
    const decipher = crypto.createDecipheriv("aes-256-gcm", deriveKey(secret, "steward/access-token/v1"), Buffer.from(iv, "base64url"), {
      authTagLength: TAG_BYTES,
    });
    const tagBytes = Buffer.from(tag, "base64url");
    if (tagBytes.length !== TAG_BYTES) return null;
    decipher.setAuthTag(tagBytes);
    return Buffer.concat([decipher.update(Buffer.from(body, "base64url")), decipher.final()]).toString("utf8");
  } catch {
    return null;
  }
}

export function randomToken(bytes = 32): string {
  return crypto.randomBytes(bytes).toString("base64url");
}

export function sha256(value: string): string {
  return crypto.createHash("sha256").update(value).digest("hex");
}

/** Constant-time string comparison for CSRF and bearer tokens. */
export function safeEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a);
  const bb = Buffer.from(b);
  return ab.length === bb.length && crypto.timingSafeEqual(ab, bb);
}

/**
 * The CSRF token as sent in one response: a fresh random pad and the token XOR the pad, so no two responses carry
 * the same bytes and a compression side channel (BREACH) has nothing constant to recover.
 */
export function maskToken(token: string): string {
  const bytes = Buffer.from(token, "utf8");
  const pad = crypto.randomBytes(bytes.length);
  const xored = Buffer.alloc(bytes.length);
  for (let i = 0; i < bytes.length; i++) xored[i] = bytes[i] ^ pad[i];
  return `m.${pad.toString("base64url")}.${xored.toString("base64url")}`;
}

/** The token inside a masked value; a value that is not masked is returned as it is (null when malformed). */
export function unmaskToken(value: string): string | null {
  if (!value.startsWith("m.")) return value;
  const [, padPart, xoredPart, extra] = value.split(".");
  if (!padPart || !xoredPart || extra !== undefined) return null;
  const pad = strictBase64url(padPart);
  const xored = strictBase64url(xoredPart);
  if (!pad || !xored || pad.length !== xored.length) return null;
  const out = Buffer.alloc(pad.length);
  for (let i = 0; i < pad.length; i++) out[i] = pad[i] ^ xored[i];
  return out.toString("utf8");
}

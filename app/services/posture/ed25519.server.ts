/**
 * ed25519 signature verification for the posture scan: libsodium (the `sodium-native` package) when it loads, else
 * OpenSSL through node:crypto. Decision 026.
 *
 * Why libsodium: verification is the scan's largest cost (a signature per cross-signed device and per self-signing
 * key: ~225,000 for 100,000 users) and libsodium verifies in less than half OpenSSL's time on the benchmark machine
 * (45 µs against 97 µs a signature, same inputs). It is also what Synapse itself verifies with (signedjson uses
 * PyNaCl, i.e. libsodium), so a signature counts as valid here exactly when it does for the homeserver — libsodium
 * also refuses small-order keys and non-canonical encodings, which OpenSSL lets through.
 *
 * Why a fallback: sodium-native ships prebuilt binaries for the common platforms only; an installation where it does
 * not load (another libc, a stripped image) still scans, at OpenSSL's speed, and `ed25519Backend()` says which is used.
 */
import crypto from "node:crypto";
import { createRequire } from "node:module";

type Sodium = { crypto_sign_verify_detached(sig: Uint8Array, msg: Uint8Array, publicKey: Uint8Array): boolean };

let loaded: { sodium: Sodium; path: string } | null | undefined;

function load(): { sodium: Sodium; path: string } | null {
  if (loaded !== undefined) return loaded;
  try {
    // STEWARD_ED25519=openssl forces the fallback (tests of it; a way out should a libsodium build misbehave).
    if (process.env.STEWARD_ED25519 === "openssl") throw new Error("OpenSSL asked for");
    const require = createRequire(import.meta.url);
    const path = require.resolve("sodium-native");
    loaded = { sodium: require(path) as Sodium, path };
  } catch {
    loaded = null;
  }
  return loaded;
}

/** Which library verifies signatures in this process. */
export function ed25519Backend(): "libsodium" | "OpenSSL" {
  return load() ? "libsodium" : "OpenSSL";
}

/** The resolved path of sodium-native for a worker thread to require, or null when OpenSSL is used. */
export function sodiumModulePath(): string | null {
  return load()?.path ?? null;
}

const keyCache = new Map<string, crypto.KeyObject | null>();

/** OpenSSL's key object for a 32-byte raw key (cached: a self-signing key signs each of its user's devices). */
function openSslKey(rawKey: Uint8Array): crypto.KeyObject | null {
  const x = Buffer.from(rawKey.buffer, rawKey.byteOffset, rawKey.byteLength).toString("base64url");
  const hit = keyCache.get(x);
  if (hit !== undefined) return hit;
  let key: crypto.KeyObject | null = null;
  try {
    key = crypto.createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x }, format: "jwk" });
  } catch {
    key = null;
  }
  if (keyCache.size > 5_000) keyCache.clear(); // bounded: a scan touches each user's keys once
  keyCache.set(x, key);
  return key;
}

/** Is `sig` (64 bytes) a valid ed25519 signature of `data` by `rawKey` (32 bytes)? Never throws. */
export function verifyEd25519(data: Uint8Array, sig: Uint8Array, rawKey: Uint8Array): boolean {
  if (sig.length !== 64 || rawKey.length !== 32) return false;
  const s = load();
  try {
    if (s) return s.sodium.crypto_sign_verify_detached(sig, data, rawKey);
    const key = openSslKey(rawKey);
    return key ? crypto.verify(null, data, key, sig) : false;
  } catch {
    return false;
  }
}

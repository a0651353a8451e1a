// Discovery and our own server's signing key (reference §7, discovery.json): the client and server well-known
// documents and /_matrix/key/v2/server with a real ed25519 signature over canonical JSON. Tests switch them
// to broken answers through `sim.state.federation` (clientWellKnown, serverWellKnown, serverKeyMode).
import { sign } from "node:crypto";
import { errors } from "../errors";
import { Reply, type RouteContext, type Router } from "../router";

/** Matrix canonical JSON: keys sorted by code point, no insignificant whitespace, UTF-8 as is. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  const keys = Object.keys(value as Record<string, unknown>).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`).join(",")}}`;
}

const unpadded = (b: Buffer) => b.toString("base64").replace(/=+$/, "");

export function register(router: Router): void {
  router.add({
    method: "GET",
    path: "/.well-known/matrix/client",
    auth: "none",
    handler: (ctx) => {
      const wk = ctx.state.federation.clientWellKnown;
      if (wk === null) throw errors.notFound(".well-known not available");
      if (wk !== "default") return structuredClone(wk);
      const doc: Record<string, unknown> = { "m.homeserver": { base_url: `${ctx.sim.url}/` } };
      // Under delegation Synapse adds MSC2965's pointer to MAS (synapse-versions.md §2, mas-api.md §1.5).
      const meta = ctx.sim.delegation?.metadata();
      if (meta) doc["org.matrix.msc2965.authentication"] = { issuer: meta.issuer, account: meta.account_management_uri };
      return doc;
    },
  });
  router.add({
    method: "GET",
    path: "/.well-known/matrix/server",
    auth: "none",
    handler: (ctx) => {
      const wk = ctx.state.federation.serverWellKnown;
      // Recorded: with serve_server_wellknown off, Synapse answers a text/plain 404.
      if (wk === null) return new Reply(404, "404. Is anything ever truly *well* known?\n", {}, "text/plain");
      return structuredClone(wk);
    },
  });
  router.add({ method: "GET", path: "/_matrix/key/v2/server", auth: "none", handler: serverKeys });
}

function serverKeys(ctx: RouteContext): unknown {
  const fed = ctx.state.federation;
  // "missing": as if the reverse proxy did not forward /_matrix/key (an unknown /_matrix path).
  if (fed.serverKeyMode === "missing") throw errors.unrecognized();
  const { keyId, publicKey, privateKey } = fed.signingKey;
  const raw = Buffer.from(publicKey.export({ format: "jwk" }).x as string, "base64url");
  const validUntil = fed.serverKeyMode === "expired" ? ctx.now - 3600_000 : ctx.now + fed.keyValidityMs;
  const body: Record<string, unknown> = {
    old_verify_keys: {},
    server_name: ctx.state.serverName,
    valid_until_ts: validUntil,
    verify_keys: { [keyId]: { key: unpadded(raw) } },
  };
  let signature = sign(null, Buffer.from(canonicalJson(body), "utf8"), privateKey);
  if (fed.serverKeyMode === "bad_signature") {
    signature = Buffer.from(signature);
    signature[0] ^= 0xff;
  }
  return { ...body, signatures: { [ctx.state.serverName]: { [keyId]: unpadded(signature) } } };
}

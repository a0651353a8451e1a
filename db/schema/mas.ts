/**
 * Sign-in through the Matrix Authentication Service (issue 16): Steward's dynamic client registration per MAS
 * issuer, the authorization requests in flight (PKCE verifier, bound to the browser that started them), and the
 * OAuth 2.0 grant behind a signed-in admin session (refresh token, expiry). Secrets are AES-256-GCM encrypted with
 * a key derived from SESSION_SECRET, like the session's access token; states and browser bindings are hashed.
 */
import { index, pgTable, primaryKey, text, timestamp } from "drizzle-orm/pg-core";
import { adminSessions } from "./core";

/** Steward's client at a MAS (dynamic registration), per issuer and redirect URI. */
export const masClients = pgTable(
  "mas_clients",
  {
    issuer: text("issuer").notNull(),
    redirectUri: text("redirect_uri").notNull(),
    clientId: text("client_id").notNull(),
    registeredAt: timestamp("registered_at", { withTimezone: true, mode: "date" }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.issuer, t.redirectUri] })],
);

/** An authorization request sent to MAS and not yet answered; single use, short-lived. */
export const masAuthRequests = pgTable(
  "mas_auth_requests",
  {
    /** SHA-256 of the `state` parameter. */
    stateHash: text("state_hash").primaryKey(),
    /** SHA-256 of the random value in the browser's short-lived cookie: the callback must come from that browser. */
    browserHash: text("browser_hash").notNull(),
    codeVerifierEnc: text("code_verifier_enc").notNull(),
    issuer: text("issuer").notNull(),
    clientId: text("client_id").notNull(),
    redirectUri: text("redirect_uri").notNull(),
    tokenEndpoint: text("token_endpoint").notNull(),
    revocationEndpoint: text("revocation_endpoint"),
    next: text("next").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true, mode: "date" }).notNull(),
    expiresAt: timestamp("expires_at", { withTimezone: true, mode: "date" }).notNull(),
  },
  (t) => [index("mas_auth_requests_expires_idx").on(t.expiresAt)],
);

/** The OAuth 2.0 grant of a session signed in through MAS. Gone with the session. */
export const masSessionGrants = pgTable("mas_session_grants", {
  idHash: text("id_hash")
    .primaryKey()
    .references(() => adminSessions.idHash, { onDelete: "cascade" }),
  issuer: text("issuer").notNull(),
  clientId: text("client_id").notNull(),
  tokenEndpoint: text("token_endpoint").notNull(),
  revocationEndpoint: text("revocation_endpoint"),
  refreshTokenEnc: text("refresh_token_enc").notNull(),
  accessExpiresAt: timestamp("access_expires_at", { withTimezone: true, mode: "date" }).notNull(),
});

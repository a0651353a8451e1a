/**
 * A user's sessions in MAS (mas-api.md §3.4, §3.7): compatibility sessions (a legacy `/login`, one Matrix device
 * each), OAuth 2.0 sessions (an app signed in through MAS; its Matrix device is the device scope), browser sessions
 * (signed in to MAS's own pages) and personal sessions (personal access tokens acting as the user, ≥ v1.5.0).
 * Finishing a compat or OAuth 2.0 session makes MAS remove its device from Synapse; finish endpoints are ≥ v1.4.0.
 * The OAuth 2.0 clients (≥ v1.20.0) give a session's app its name.
 */
import { masAdminHttp, type MasAdminOptions } from "./admin-http";

export type MasSessionKind = "compat" | "oauth2" | "browser" | "personal";

export interface MasSession {
  kind: MasSessionKind;
  id: string;
  createdAt: Date;
  /** Finished (or, for a personal session, revoked). */
  endedAt: Date | null;
  lastActiveAt: Date | null;
  lastActiveIp: string | null;
  userAgent: string | null;
  /** The name MAS keeps for it (untrusted text). */
  humanName: string | null;
  /** The Matrix device: compat `device_id`, or the OAuth 2.0 device scope. */
  deviceId: string | null;
  /** OAuth 2.0: the client's internal id (a ULID), which `client()` names. */
  clientId: string | null;
}

export interface MasClientInfo {
  id: string;
  name: string | null;
  uri: string | null;
}

const PATHS: Record<MasSessionKind, string> = {
  compat: "compat-sessions",
  oauth2: "oauth2-sessions",
  browser: "user-sessions",
  personal: "personal-sessions",
};

const WHAT: Record<MasSessionKind, string> = {
  compat: "password sign-ins",
  oauth2: "app sign-ins",
  browser: "browser sessions",
  personal: "personal access tokens",
};

const DEVICE_SCOPES = ["urn:matrix:client:device:", "urn:matrix:org.matrix.msc2967.client:device:"];

/** The Matrix device an OAuth 2.0 scope names, if any. */
export function deviceOfScope(scope: string | null | undefined): string | null {
  for (const s of (scope ?? "").split(" ")) {
    const prefix = DEVICE_SCOPES.find((p) => s.startsWith(p));
    if (prefix && s.length > prefix.length) return s.slice(prefix.length);
  }
  return null;
}

const date = (v: unknown) => (typeof v === "string" ? new Date(v) : null);
const str = (v: unknown) => (typeof v === "string" ? v : null);

function toSession(kind: MasSessionKind, r: { id: string; attributes: Record<string, unknown> }): MasSession {
  const a = r.attributes;
  return {
    kind,
    id: r.id,
    createdAt: date(a.created_at) ?? new Date(0),
    endedAt: date(kind === "personal" ? a.revoked_at : a.finished_at),
    lastActiveAt: date(a.last_active_at),
    lastActiveIp: str(a.last_active_ip),
    userAgent: str(a.user_agent),
    humanName: str(a.human_name),
    deviceId: kind === "compat" ? str(a.device_id) : kind === "oauth2" ? deviceOfScope(str(a.scope)) : null,
    clientId: kind === "oauth2" ? str(a.client_id) : kind === "personal" ? str(a.owner_client_id) : null,
  };
}

/** Enough for any real person; a user with more is shown the first ones and the list says it is cut. */
const MAX_PER_KIND = 1000;

export function masSessions(opts: MasAdminOptions) {
  const http = masAdminHttp(opts);
  return {
    /** The user's active sessions of one kind, oldest first. `truncated` when there were more than Steward reads. */
    async listActive(kind: MasSessionKind, masUserId: string): Promise<{ sessions: MasSession[]; truncated: boolean }> {
      const filters = kind === "personal" ? { actor_user: masUserId, status: "active" } : { user: masUserId, status: "active" };
      const out: MasSession[] = [];
      let after: string | undefined;
      for (;;) {
        const page = await http.page<Record<string, unknown>>(PATHS[kind], `listing ${WHAT[kind]}`, { first: 100, after, filters });
        out.push(...page.items.map((i) => toSession(kind, i)));
        if (!page.hasNext || !page.items.length) return { sessions: out, truncated: false };
        if (out.length >= MAX_PER_KIND) return { sessions: out, truncated: true };
        after = page.items[page.items.length - 1].id;
      }
    },

    /**
     * Ends one session: finish (compat, OAuth 2.0, browser) or revoke (personal). Already ended answers 400 (409 for
     * a personal session): the caller treats that as done.
     */
    async end(kind: MasSessionKind, id: string): Promise<void> {
      const action = kind === "personal" ? "revoke" : "finish";
      await http.call("POST", `${PATHS[kind]}/${encodeURIComponent(id)}/${action}`, kind === "personal" ? "revoking a personal access token" : "signing a session out");
    },

    /** GET /oauth2-clients/{id} (≥ v1.20.0): the app's name. */
    async client(id: string): Promise<MasClientInfo> {
      const r = await http.get<Record<string, unknown>>(`oauth2-clients/${encodeURIComponent(id)}`, "reading an app's name");
      return { id: r.id, name: str(r.attributes.client_name), uri: str(r.attributes.client_uri) };
    },
  };
}

export type MasSessionsApi = ReturnType<typeof masSessions>;

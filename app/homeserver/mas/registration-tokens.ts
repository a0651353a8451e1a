/**
 * MAS's registration tokens (mas-api.md §3.3, admin API ≥ v0.17.0). Semantics differ from Synapse's and callers
 * must not translate blindly: `usageLimit: 0` means never valid (Synapse's 0 is unlimited), `timesUsed` counts
 * completed registrations only, revoke is reversible (unrevoke), there is no delete and no lookup by token text
 * (tokens are addressed by their id).
 */
import { masAdminHttp, type MasAdminOptions, type MasPage } from "./admin-http";

export interface MasRegistrationToken {
  /** MAS's id (a ULID; ids sort by creation time). */
  id: string;
  token: string;
  /** Computed by MAS when it answered: not revoked, not expired, not used up. */
  valid: boolean;
  /** null = unlimited; 0 = never valid. */
  usageLimit: number | null;
  timesUsed: number;
  createdAt: Date;
  lastUsedAt: Date | null;
  expiresAt: Date | null;
  revokedAt: Date | null;
  /**
   * A link that carries the token into MAS's registration, when MAS offers one. No released MAS does (v1.22.0);
   * unreleased work adds an `invite_url` attribute (mas-api.md §4.5). Used only behind the version gate
   * (services/tokens/mas-invite-rule.ts).
   */
  inviteUrl: string | null;
}

interface Attributes {
  token: string;
  valid: boolean;
  usage_limit: number | null;
  times_used: number;
  created_at: string;
  last_used_at: string | null;
  expires_at: string | null;
  revoked_at: string | null;
  invite_url?: string | null;
}

const date = (s: string | null | undefined) => (typeof s === "string" ? new Date(s) : null);

function toToken(r: { id: string; attributes: Attributes }): MasRegistrationToken {
  const a = r.attributes;
  return {
    id: r.id,
    token: String(a.token),
    valid: a.valid === true,
    usageLimit: typeof a.usage_limit === "number" ? a.usage_limit : null,
    timesUsed: typeof a.times_used === "number" ? a.times_used : 0,
    createdAt: date(a.created_at) ?? new Date(0),
    lastUsedAt: date(a.last_used_at),
    expiresAt: date(a.expires_at),
    revokedAt: date(a.revoked_at),
    // As MAS gives it (the unreleased designs differ on absolute vs root-relative); resolved by the invite builder.
    inviteUrl: typeof a.invite_url === "string" && a.invite_url.length > 0 && a.invite_url.length <= 2000 ? a.invite_url : null,
  };
}

export interface MasTokenPage {
  tokens: MasRegistrationToken[];
  count: number | null;
  hasNext: boolean;
  hasPrev: boolean;
}

export interface MasTokenFilters {
  valid?: boolean;
  revoked?: boolean;
  expired?: boolean;
  used?: boolean;
}

/** undefined leaves a field unchanged; null removes the limit or the expiry. */
export interface MasTokenPatch {
  usageLimit?: number | null;
  expiresAt?: Date | null;
}

const PATH = "user-registration-tokens";
const idPath = (id: string) => `${PATH}/${encodeURIComponent(id)}`;
const flag = (b: boolean | undefined) => (b === undefined ? undefined : String(b));

export function masRegistrationTokens(opts: MasAdminOptions) {
  const http = masAdminHttp(opts);
  const page = (p: MasPage<Attributes>): MasTokenPage => ({ tokens: p.items.map(toToken), count: p.count, hasNext: p.hasNext, hasPrev: p.hasPrev });
  return {
    /** One page, oldest first (`after` = the last id of the previous page). */
    async list(p: { first?: number; after?: string; last?: number; before?: string; filters?: MasTokenFilters } = {}): Promise<MasTokenPage> {
      const f = p.filters ?? {};
      const paging = p.last !== undefined || p.before !== undefined ? { last: p.last ?? 50, before: p.before } : { first: p.first ?? 50, after: p.after };
      return page(
        await http.page<Attributes>(PATH, "listing registration tokens", {
          ...paging,
          filters: { valid: flag(f.valid), revoked: flag(f.revoked), expired: flag(f.expired), used: flag(f.used) },
        }),
      );
    },

    /** Every token, page by page (MAS has no "all at once"; pages of 100 keep a big list to a few requests). */
    async listAll(filters: MasTokenFilters = {}, max = 5000): Promise<MasRegistrationToken[]> {
      const out: MasRegistrationToken[] = [];
      let after: string | undefined;
      for (;;) {
        const p = await this.list({ first: 100, after, filters });
        out.push(...p.tokens);
        if (!p.hasNext || !p.tokens.length || out.length >= max) return out;
        after = p.tokens[p.tokens.length - 1].id;
      }
    },

    async get(id: string): Promise<MasRegistrationToken> {
      return toToken(await http.get<Attributes>(idPath(id), "reading a registration token"));
    },

    /** Text null = MAS generates 12 letters and digits. Never retried: a repeat could issue a second token. */
    async create(input: { token?: string | null; usageLimit?: number | null; expiresAt?: Date | null }): Promise<MasRegistrationToken> {
      const body = { token: input.token ?? null, usage_limit: input.usageLimit ?? null, expires_at: input.expiresAt ? input.expiresAt.toISOString() : null };
      return toToken(await http.send<Attributes>("POST", PATH, "issuing a registration token", body));
    },

    async update(id: string, patch: MasTokenPatch): Promise<MasRegistrationToken> {
      const body: Record<string, unknown> = {};
      if (patch.usageLimit !== undefined) body.usage_limit = patch.usageLimit;
      if (patch.expiresAt !== undefined) body.expires_at = patch.expiresAt ? patch.expiresAt.toISOString() : null;
      return toToken(await http.send<Attributes>("PUT", idPath(id), "changing a registration token", body));
    },

    async revoke(id: string): Promise<MasRegistrationToken> {
      return toToken(await http.send<Attributes>("POST", `${idPath(id)}/revoke`, "revoking a registration token"));
    },

    async unrevoke(id: string): Promise<MasRegistrationToken> {
      return toToken(await http.send<Attributes>("POST", `${idPath(id)}/unrevoke`, "restoring a revoked registration token"));
    },
  };
}

export type MasRegistrationTokensApi = ReturnType<typeof masRegistrationTokens>;

// Registration-token admin API (reference §1, tokens.json): list (valid filter), get, new, update, delete.
// Validation follows Synapse's servlets in their order and with the recorded 400 texts; `type(x) is int`
// in Python means booleans and strings are refused.
import { errors } from "../errors";
import { parseBoolean } from "../params";
import type { RouteContext, Router } from "../router";
import {
  addRegistrationToken,
  allowedTokenChars,
  expireUiaSessions,
  generateToken,
  listedAsValid,
  type SimRegistrationToken,
} from "../state-tokens";

const BASE = "/_synapse/admin/v1/registration_tokens";

const isInt = (v: unknown): v is number => typeof v === "number" && Number.isInteger(v);
const view = (t: SimRegistrationToken) => ({
  token: t.token,
  uses_allowed: t.uses_allowed,
  pending: t.pending,
  completed: t.completed,
  expiry_time: t.expiry_time,
});

function find(ctx: RouteContext): SimRegistrationToken {
  const t = ctx.state.registrationTokens.get(ctx.params.token);
  if (!t) throw errors.notFound(`No such registration token: ${ctx.params.token}`);
  return t;
}

function checkUsesAllowed(v: unknown): number | null {
  if (!(v === null || (isInt(v) && v >= 0))) throw errors.invalidParam("uses_allowed must be a non-negative integer or null");
  return v as number | null;
}

function checkExpiry(v: unknown, now: number): number | null {
  if (!(v === null || isInt(v))) throw errors.invalidParam("expiry_time must be an integer or null");
  if (v !== null && v < now) throw errors.invalidParam("expiry_time must not be in the past");
  return v as number | null;
}

export function register(router: Router): void {
  // Every call here is unmounted under MAS (reference §0) and needs an admin token.
  const common = { auth: "admin" as const, unmountedUnderMas: true };

  router.add({
    ...common,
    method: "GET",
    path: BASE,
    handler: (ctx) => {
      const valid = parseBoolean(ctx.query, "valid");
      expireUiaSessions(ctx.state, ctx.now);
      const all = [...ctx.state.registrationTokens.values()];
      const picked = valid === undefined ? all : all.filter((t) => listedAsValid(t, ctx.now) === valid);
      return { registration_tokens: picked.map(view) };
    },
  });

  router.add({
    ...common,
    method: "POST",
    path: `${BASE}/new`,
    handler: (ctx) => {
      const body = ctx.json();
      let token: string;
      if ("token" in body) {
        const t = body.token;
        if (typeof t !== "string") throw errors.invalidParam("token must be a string");
        if (!(t.length > 0 && t.length <= 64)) {
          throw errors.invalidParam("token must not be empty and must not be longer than 64 characters");
        }
        const chars = allowedTokenChars(ctx.state);
        // Synapse's message names the old regex even where `.` and `~` are accepted (recorded).
        if (![...t].every((c) => chars.includes(c))) {
          throw errors.invalidParam("token must consist only of characters matched by the regex [A-Za-z0-9-_]");
        }
        token = t;
      } else {
        const length = body.length ?? 16;
        if (!isInt(length)) throw errors.invalidParam("length must be an integer");
        if (!(length > 0 && length <= 64)) {
          throw errors.invalidParam("length must be greater than zero and not greater than 64");
        }
        token = generateToken(ctx.state, length);
      }
      const usesAllowed = checkUsesAllowed(body.uses_allowed ?? null);
      const expiryTime = checkExpiry(body.expiry_time ?? null, ctx.now);
      if (ctx.state.registrationTokens.has(token)) throw errors.invalidParam(`Token already exists: ${token}`);
      return view(addRegistrationToken(ctx.state, { token, uses_allowed: usesAllowed, expiry_time: expiryTime }));
    },
  });

  router.add({
    ...common,
    method: "GET",
    path: `${BASE}/:token`,
    handler: (ctx) => {
      expireUiaSessions(ctx.state, ctx.now);
      return view(find(ctx));
    },
  });

  router.add({
    ...common,
    method: "PUT",
    path: `${BASE}/:token`,
    handler: (ctx) => {
      const body = ctx.json();
      // Validated before the existence check, as Synapse does (an unknown token with a bad body is a 400).
      const patch: Partial<SimRegistrationToken> = {};
      if ("uses_allowed" in body) patch.uses_allowed = checkUsesAllowed(body.uses_allowed);
      if ("expiry_time" in body) patch.expiry_time = checkExpiry(body.expiry_time, ctx.now);
      expireUiaSessions(ctx.state, ctx.now);
      const t = find(ctx);
      Object.assign(t, patch);
      return view(t);
    },
  });

  router.add({
    ...common,
    method: "DELETE",
    path: `${BASE}/:token`,
    handler: (ctx) => {
      find(ctx);
      ctx.state.registrationTokens.delete(ctx.params.token);
      return {};
    },
  });
}

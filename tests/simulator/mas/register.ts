// Self-service password registration with a registration token (mas-api.md §4.2–§4.4): `/register` →
// `/register/password[?username=]` → `/register/steps/{id}/finish`, which sends the user to the token step and the
// display-name step, then completes: creates the MAS user, counts the token's use, starts a browser session and
// provisions the user in Synapse. The token cannot come from the URL (MAS v1.22.0).
import { startBrowserSession } from "./oauth";
import { errorPage, page, registerPasswordPage, registerTokenPage } from "./pages";
import { escapeHtml as e, Res, type MasRouter, type Req } from "./http";
import { tokenValid, ulid, userByUsername, type MasRegistration, type MasUser } from "./state";

interface Pending extends MasRegistration {
  displayname: string | null;
  displaynameDone: boolean;
}

const USERNAME_RE = /^[a-z0-9=_\-./+]{1,255}$/;

export function registerRegistration(router: MasRouter): void {
  router.add("GET", "/register", (req) => {
    if (!req.mas.state.siteConfig.password_registration_enabled) return Res.html(200, errorPage("Registration", "Registration is not enabled on this server."));
    return Res.redirect(`/register/password${req.rawQuery ? `?${req.rawQuery}` : ""}`);
  });
  router.add("GET", "/register/password", (req) => {
    if (!req.mas.state.siteConfig.password_registration_enabled) return Res.redirect("/login");
    return Res.html(200, registerPasswordPage(null, req.query.get("username") ?? "", continuation(req.query)));
  });
  router.add("POST", "/register/password", registerPassword);
  router.add("GET", "/register/steps/:id/finish", finish);
  router.add("GET", "/register/steps/:id/token", (req) => {
    const reg = pending(req);
    return reg ? Res.html(200, registerTokenPage(reg.id, null)) : gone();
  });
  router.add("POST", "/register/steps/:id/token", tokenStep);
  router.add("GET", "/register/steps/:id/display-name", (req) => {
    const reg = pending(req);
    if (!reg) return gone();
    return Res.html(
      200,
      page(
        "Choose your display name",
        `<form method="post" action="/register/steps/${e(reg.id)}/display-name"><label>Display name <input name="display_name"></label>
<button type="submit" name="action" value="set">Continue</button><button type="submit" name="action" value="skip">Skip</button></form>`,
      ),
    );
  });
  router.add("POST", "/register/steps/:id/display-name", (req) => {
    const reg = pending(req);
    if (!reg) return gone();
    const f = req.form();
    const name = (f.get("display_name") ?? "").trim();
    reg.displayname = f.get("action") === "skip" || !name ? reg.username : name;
    reg.displaynameDone = true;
    return Res.redirect(`/register/steps/${reg.id}/finish`);
  });
}

const gone = () => Res.html(404, errorPage("Registration", "This registration is no longer valid. Start again."));

function continuation(q: URLSearchParams): Record<string, string> {
  const kind = q.get("kind");
  const id = q.get("id");
  return kind && id ? { kind, id } : {};
}

function pending(req: Req): Pending | null {
  const reg = req.mas.state.registrations.get(req.params.id) as Pending | undefined;
  return reg && reg.completed_at === null ? reg : null;
}

function registerPassword(req: Req): Res {
  const state = req.mas.state;
  if (!state.siteConfig.password_registration_enabled) return Res.redirect("/login");
  const f = req.form();
  const hidden = continuation(f);
  const username = (f.get("username") ?? "").trim();
  const password = f.get("password") ?? "";
  const again = (msg: string) => Res.html(400, registerPasswordPage(msg, username, hidden));
  if (!USERNAME_RE.test(username) || username.startsWith("_")) return again("This username is not valid: use lower-case letters, digits and - . = _ / + only.");
  if (userByUsername(state, username) || !req.mas.hooks.isLocalpartAvailable(username)) return again("This username is already taken.");
  if (password.length < 8) return again("This password is too weak.");
  if (password !== f.get("password_confirm")) return again("The passwords do not match.");
  const reg: Pending = {
    id: ulid(req.now),
    username,
    password,
    token_id: null,
    created_at: req.now,
    completed_at: null,
    grant_id: hidden.kind === "continue_authorization_grant" ? hidden.id : null,
    displayname: null,
    displaynameDone: false,
  };
  state.registrations.set(reg.id, reg);
  return Res.redirect(`/register/steps/${reg.id}/finish`);
}

function tokenStep(req: Req): Res {
  const reg = pending(req);
  if (!reg) return gone();
  const raw = (req.form().get("token") ?? "").trim();
  const t = [...req.mas.state.registrationTokens.values()].find((x) => x.token === raw);
  if (!t || !tokenValid(t, req.now)) return Res.html(400, registerTokenPage(reg.id, "Invalid registration token."));
  reg.token_id = t.id;
  return Res.redirect(`/register/steps/${reg.id}/finish`);
}

function finish(req: Req): Res {
  const state = req.mas.state;
  const reg = pending(req);
  if (!reg) return gone();
  if (state.siteConfig.password_registration_token_required && reg.token_id === null) return Res.redirect(`/register/steps/${reg.id}/token`);
  if (!reg.displaynameDone) return Res.redirect(`/register/steps/${reg.id}/display-name`);
  // The token's validity is checked again at completion; uses are counted only now.
  const t = reg.token_id ? state.registrationTokens.get(reg.token_id) : undefined;
  if (reg.token_id && (!t || !tokenValid(t, req.now))) return Res.html(400, errorPage("Registration failed", "The registration token is no longer valid."));
  if (userByUsername(state, reg.username)) return Res.html(400, errorPage("Registration failed", "This username is already taken."));
  if (t) {
    t.times_used += 1;
    t.last_used_at = req.now;
  }
  const user: MasUser = {
    id: ulid(req.now),
    username: reg.username,
    created_at: req.now,
    locked_at: null,
    deactivated_at: null,
    admin: false,
    legacy_guest: false,
    password: reg.password,
    emails: [],
  };
  state.users.set(user.id, user);
  reg.completed_at = req.now;
  req.mas.hooks.provisionUser(user.username, reg.displayname);
  const { setCookie } = startBrowserSession(req, user);
  return Res.redirect(reg.grant_id ? `/consent/${reg.grant_id}` : "/account/", { "Set-Cookie": setCookie });
}

// The MAS simulator's HTML pages (login, consent, policy violation, errors, registration steps). Plain forms with
// the field names MAS uses; what a browser test clicks through.
import { escapeHtml as e } from "./http";

export function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${e(title)} · MAS simulator</title>
<style>body{font-family:sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem}label{display:block;margin:.75rem 0}
input{display:block;width:100%;padding:.4rem;font-size:1rem}button{padding:.5rem 1rem;font-size:1rem;margin-right:.5rem}
.error{color:#a00}</style></head><body><h1>${e(title)}</h1>${body}</body></html>`;
}

export function loginPage(hidden: Record<string, string>, error: string | null, username = ""): string {
  return page(
    "Sign in",
    `${error ? `<p class="error" role="alert">${e(error)}</p>` : ""}<form method="post" action="/login">
${hiddenInputs(hidden)}<label>Username <input name="username" autocomplete="username" value="${e(username)}"></label>
<label>Password <input name="password" type="password" autocomplete="current-password"></label>
<button type="submit">Continue</button></form>`,
  );
}

export function consentPage(grantId: string, clientName: string, clientUri: string | null, scopes: string[], csrf: string): string {
  return page(
    "Allow access?",
    `<p><strong>${e(clientName)}</strong>${clientUri ? ` (${e(clientUri)})` : ""} wants to access your account.</p>
<ul>${scopes.map((s) => `<li>${e(s)}</li>`).join("")}</ul>
<form method="post" action="/consent/${e(grantId)}"><input type="hidden" name="csrf" value="${e(csrf)}">
<button type="submit" name="action" value="consent">Continue</button>
<button type="submit" name="action" value="cancel">Cancel</button></form>`,
  );
}

export function policyViolationPage(violations: string[]): string {
  return page(
    "The authorization request was denied by the policy enforced by this service",
    `<ul>${violations.map((v) => `<li>${e(v)}</li>`).join("")}</ul>`,
  );
}

export function errorPage(title: string, detail: string): string {
  return page(title, `<p class="error">${e(detail)}</p>`);
}

export function registerPasswordPage(error: string | null, username: string, hidden: Record<string, string>): string {
  return page(
    "Create an account",
    `${error ? `<p class="error" role="alert">${e(error)}</p>` : ""}<form method="post" action="/register/password">
${hiddenInputs(hidden)}<label>Username <input name="username" autocomplete="username" value="${e(username)}"></label>
<label>Password <input name="password" type="password" autocomplete="new-password"></label>
<label>Confirm password <input name="password_confirm" type="password" autocomplete="new-password"></label>
<button type="submit">Continue</button></form>`,
  );
}

export function registerTokenPage(id: string, error: string | null): string {
  return page(
    "Registration token",
    `${error ? `<p class="error" role="alert">${e(error)}</p>` : ""}<p>Enter the registration token you were given.</p>
<form method="post" action="/register/steps/${e(id)}/token"><label>Token <input name="token"></label>
<button type="submit">Continue</button></form>`,
  );
}

function hiddenInputs(h: Record<string, string>): string {
  return Object.entries(h)
    .map(([k, v]) => `<input type="hidden" name="${e(k)}" value="${e(v)}">`)
    .join("");
}

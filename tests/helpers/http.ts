/** A minimal browser-like HTTP client for integration tests: keeps cookies, never follows redirects by itself. */
export class TestClient {
  cookies = new Map<string, string>();
  constructor(readonly baseUrl: string) {}

  private cookieHeader(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
  }

  private remember(res: Response) {
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(";");
      const i = pair.indexOf("=");
      const k = pair.slice(0, i).trim();
      const v = pair.slice(i + 1).trim();
      if (!v || /max-age=0/i.test(c)) this.cookies.delete(k);
      else this.cookies.set(k, v);
    }
  }

  async request(path: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    if (this.cookies.size) headers.set("Cookie", this.cookieHeader());
    const res = await fetch(this.baseUrl + path, { ...init, headers, redirect: "manual" });
    this.remember(res);
    return res;
  }

  get(path: string, headers?: Record<string, string>) {
    return this.request(path, { headers });
  }

  /**
   * The sign-in form's CSRF token, as a browser gets it by loading the form first (its nonce cookie is kept). A
   * signed-in browser is sent away from /login, so the form is fetched without the session cookie.
   */
  async loginFormToken(): Promise<string> {
    const headers = new Headers();
    const others = [...this.cookies].filter(([k]) => k !== "steward_session");
    if (others.length) headers.set("Cookie", others.map(([k, v]) => `${k}=${v}`).join("; "));
    const res = await fetch(this.baseUrl + "/login", { headers, redirect: "manual" });
    this.remember(res);
    const m = /name="csrf" value="([^"]+)"/.exec(await res.text());
    if (!m) throw new Error("no CSRF token on /login");
    return m[1];
  }

  /** Posts a form; a post to /login without a `csrf` field gets the form's token first, as a browser would. */
  async postForm(path: string, data: Record<string, string>, headers?: Record<string, string>) {
    if (path.split("?")[0] === "/login" && data.csrf === undefined) data = { ...data, csrf: await this.loginFormToken() };
    return this.request(path, {
      method: "POST",
      body: new URLSearchParams(data),
      headers: { "Content-Type": "application/x-www-form-urlencoded", ...headers },
    });
  }

  /** The CSRF token embedded in a signed-in page. */
  async csrfToken(path = "/"): Promise<string> {
    const html = await (await this.get(path)).text();
    const m = /name="csrf" value="([^"]+)"/.exec(html);
    if (!m) throw new Error(`no CSRF token on ${path}`);
    return m[1];
  }

  /** Signs in to the configured homeserver (`homeserver` is sent as old forms did; Steward ignores it). */
  async signIn(username: string, password: string, homeserver?: string): Promise<Response> {
    return this.postForm("/login", { ...(homeserver ? { homeserver } : {}), username, password, mode: "password" });
  }
}

// A cookie-keeping HTTP "browser" for driving the MAS simulator's pages without Chromium (simulator and service
// tests): follows nothing by itself, so a test sees each redirect; reads forms' hidden fields from the HTML.
export class MiniBrowser {
  private readonly cookies = new Map<string, string>();

  async get(url: string): Promise<Response> {
    return this.send(url, { method: "GET" });
  }

  async post(url: string, form: Record<string, string>): Promise<Response> {
    return this.send(url, { method: "POST", body: new URLSearchParams(form), headers: { "Content-Type": "application/x-www-form-urlencoded" } });
  }

  /** GETs `url` and follows same-origin redirects, returning the first response that is not a redirect or leaves `origin`. */
  async follow(url: string, origin: string): Promise<{ res: Response; url: string }> {
    let current = url;
    for (let i = 0; i < 10; i++) {
      const res = await this.get(current);
      const loc = res.headers.get("location");
      if (res.status < 300 || res.status >= 400 || !loc) return { res, url: current };
      const next = new URL(loc, current).toString();
      if (!next.startsWith(origin)) return { res, url: next };
      current = next;
    }
    throw new Error("too many redirects");
  }

  private async send(url: string, init: RequestInit): Promise<Response> {
    const host = new URL(url).host;
    const cookie = this.cookies.get(host);
    const res = await fetch(url, { ...init, redirect: "manual", headers: { ...(init.headers as Record<string, string>), ...(cookie ? { Cookie: cookie } : {}) } });
    const set = res.headers.get("set-cookie");
    if (set) this.cookies.set(host, set.split(";")[0]);
    return res;
  }
}

export function hiddenFields(html: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) out[m[1]] = m[2].replace(/&amp;/g, "&");
  return out;
}

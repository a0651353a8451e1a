/**
 * Timing one screen in a real browser, for bench/scenarios/screens.ts.
 *
 * The probe is an init script in every document of the browser context. A measurement is armed with a `Watch` (the
 * screen's URL and the content it must show) kept in sessionStorage, so it survives a full document load (sign-in's
 * form post and redirect) as well as a client-side navigation. The first click after arming stamps the start; from
 * then on, every animation frame checks the screen: the first frame in which the URL is the screen's and every
 * `selectors` element exists with `text` in the first one is "content"; the first frame after that in which the app
 * has hydrated and the client router is idle is "interactive". Times are epoch milliseconds with sub-millisecond
 * resolution (performance.timeOrigin + performance.now()), comparable across documents of the tab. Without a click
 * (a cold page load by URL), the start is the document's navigation start (its timeOrigin).
 *
 * Requests and bytes come from the DevTools protocol (Network domain): every request the tab sends from the start
 * until the network has been quiet for QUIET_MS after "interactive", with the bytes received over the wire (headers
 * and compressed bodies).
 */
import type { Browser, BrowserContext, CDPSession, Page } from "playwright-core";

export interface Watch {
  /** A regular expression the location's pathname + search must match. */
  url: string;
  /** Elements that must all exist; the first one's text must contain `text`. */
  selectors: string[];
  text: string;
  /** A page without scripts (the baseline's): nothing to hydrate, so it is interactive when its content shows. */
  static?: boolean;
}

export interface Timing {
  contentMs: number;
  interactiveMs: number;
  requests: number;
  bytes: number;
  /** The longest wait for an answer's headers among the navigation's requests (on loopback: the server's time). */
  serverMs: number;
}

const KEY = "__bench_watch";
const QUIET_MS = 300;

/** The init script (serialised into every document of the context). */
function probe(key: string): void {
  const w = window as unknown as {
    __benchResult?: { start?: number; content?: number; interactive?: number };
    __benchArm?: () => void;
    __remixRouter?: { state: { navigation: { state: string } } };
  };
  const now = () => performance.timeOrigin + performance.now();
  let looping = false;
  const loop = () => {
    if (looping) return;
    looping = true;
    const tick = () => {
      const raw = sessionStorage.getItem(key);
      if (!raw) return void (looping = false);
      const spec = JSON.parse(raw) as { url: string; selectors: string[]; text: string; static?: boolean; start?: number; content?: number; interactive?: number };
      const t = now();
      const here = new RegExp(spec.url).test(location.pathname + location.search);
      if (spec.start !== undefined && here) {
        if (spec.content === undefined) {
          const els = spec.selectors.map((s) => document.querySelector(s));
          if (els.every(Boolean) && (els[0]!.textContent ?? "").includes(spec.text)) spec.content = t;
        }
        if (spec.content !== undefined && spec.interactive === undefined) {
          if (spec.static || (document.documentElement.dataset.hydrated === "true" && w.__remixRouter?.state.navigation.state === "idle")) spec.interactive = t;
        }
        sessionStorage.setItem(key, JSON.stringify(spec));
        w.__benchResult = { start: spec.start, content: spec.content, interactive: spec.interactive };
        if (spec.interactive !== undefined) return void (looping = false);
      }
      requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  };
  // Armed in an earlier document: a cold load by URL starts at this document's navigation start.
  const raw = sessionStorage.getItem(key);
  if (raw) {
    const spec = JSON.parse(raw) as { start?: number };
    if (spec.start === undefined) {
      spec.start = performance.timeOrigin;
      sessionStorage.setItem(key, JSON.stringify(spec));
    }
    loop();
  }
  w.__benchArm = () => {
    window.addEventListener(
      "click",
      () => {
        const s = JSON.parse(sessionStorage.getItem(key)!);
        s.start = now();
        sessionStorage.setItem(key, JSON.stringify(s));
      },
      { capture: true, once: true },
    );
    loop();
  };
}

// `__name`: tsx (esbuild keepNames) wraps the serialised function's inner functions in it.
const probeScript = `var __name = (f) => f; (${probe.toString()})(${JSON.stringify(KEY)});`;

/** Counts the tab's requests and received bytes (DevTools Network domain). */
export class NetworkMeter {
  private requests = 0;
  private bytes = 0;
  /** The longest time any request of the navigation waited for its answer's headers (≈ the server's time). */
  private serverMs = 0;
  private inFlight = new Set<string>();
  private lastActivity = 0;
  private constructor(private cdp: CDPSession) {}

  static async attach(page: Page): Promise<NetworkMeter> {
    const cdp = await page.context().newCDPSession(page);
    const m = new NetworkMeter(cdp);
    cdp.on("Network.requestWillBeSent", (e: { requestId: string; redirectResponse?: unknown }) => {
      m.requests++; // a redirect's next hop (same requestId, redirectResponse set) is a request of its own
      m.inFlight.add(e.requestId);
      m.lastActivity = Date.now();
    });
    cdp.on("Network.loadingFinished", (e: { requestId: string; encodedDataLength: number }) => {
      m.bytes += e.encodedDataLength;
      m.inFlight.delete(e.requestId);
      m.lastActivity = Date.now();
    });
    cdp.on("Network.responseReceived", (e: { response: { timing?: { sendEnd: number; receiveHeadersEnd: number } } }) => {
      const t = e.response.timing;
      if (t) m.serverMs = Math.max(m.serverMs, t.receiveHeadersEnd - t.sendEnd);
    });
    cdp.on("Network.loadingFailed", (e: { requestId: string }) => {
      m.inFlight.delete(e.requestId);
      m.lastActivity = Date.now();
    });
    await cdp.send("Network.enable");
    return m;
  }

  reset(): void {
    this.requests = 0;
    this.bytes = 0;
    this.serverMs = 0;
  }

  /** Waits until nothing has been in flight for QUIET_MS (at most 10 s), then returns the counts since reset(). */
  async settle(): Promise<{ requests: number; bytes: number; serverMs: number }> {
    const until = Date.now() + 10_000;
    while (Date.now() < until && (this.inFlight.size > 0 || Date.now() - this.lastActivity < QUIET_MS)) await new Promise((r) => setTimeout(r, 25));
    return { requests: this.requests, bytes: this.bytes, serverMs: this.serverMs };
  }

  async detach(): Promise<void> {
    await this.cdp.detach().catch(() => {});
  }
}

/** Arms a measurement in the page's current document; the next click starts it. */
export async function arm(page: Page, watch: Watch): Promise<void> {
  await page.evaluate(
    ([key, w]) => {
      sessionStorage.setItem(key, JSON.stringify(w));
      (window as unknown as { __benchArm: () => void }).__benchArm();
    },
    [KEY, watch] as const,
  );
}

/**
 * A fresh context (a fresh profile: no cache, no storage) with the probe. With `cold`, the first document loaded in it
 * is measured from its navigation start (a cold page load by URL).
 */
let contexts = 0;
export async function benchContext(browser: Browser, cold?: Watch): Promise<BrowserContext> {
  // Each profile comes from an address of its own (the server runs with TRUST_PROXY): sign-in's limit of 10
  // attempts per address in 5 minutes is for people, and a run signs in a dozen times.
  const n = ++contexts;
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, extraHTTPHeaders: { "X-Forwarded-For": `10.0.${(n >> 8) & 255}.${n & 255}` } });
  if (cold) {
    // Before the probe, which reads the watch when the document starts.
    await context.addInitScript(
      ([key, w]) => {
        if (!sessionStorage.getItem(key + "_cold")) {
          sessionStorage.setItem(key + "_cold", "1");
          sessionStorage.setItem(key, JSON.stringify(w));
        }
      },
      [KEY, cold] as const,
    );
  }
  await context.addInitScript(probeScript);
  return context;
}

/**
 * One cold page load of `url`, measured from its navigation start: a fresh profile (with `cookies`, e.g. a session)
 * whose first document is watched for `watch`. The context is closed afterwards.
 */
export async function coldLoad(browser: Browser, url: string, watch: Watch, cookies: Parameters<BrowserContext["addCookies"]>[0] = []): Promise<Timing> {
  const context = await benchContext(browser, watch);
  try {
    if (cookies.length) await context.addCookies(cookies);
    const page = await context.newPage();
    const meter = await NetworkMeter.attach(page);
    await page.goto(url);
    const t = await result(page, meter, `cold load of ${url}`);
    await meter.detach();
    return t;
  } finally {
    await context.close();
  }
}

/** Waits for the armed measurement (across document loads) and returns it; clears the watch. */
export async function result(page: Page, meter: NetworkMeter, what: string): Promise<Timing> {
  const until = Date.now() + 30_000;
  for (;;) {
    const r = await page
      .evaluate((key) => {
        const raw = sessionStorage.getItem(key);
        return raw ? (JSON.parse(raw) as { start?: number; content?: number; interactive?: number }) : null;
      }, KEY)
      .catch(() => null); // the document is being replaced
    if (r && r.start !== undefined && r.content !== undefined && r.interactive !== undefined) {
      const net = await meter.settle();
      await page.evaluate((key) => sessionStorage.removeItem(key), KEY);
      return { contentMs: r.content - r.start, interactiveMs: r.interactive - r.start, ...net };
    }
    if (Date.now() > until) throw new Error(`${what}: the screen did not show its content within 30 s (at ${page.url()}; probe ${JSON.stringify(r)})`);
    await new Promise((res) => setTimeout(res, 20));
  }
}

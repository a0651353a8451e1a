/**
 * Properties of the foundation's input parsers: the homeserver address field, the Cookie header, sealed secrets
 * at rest, the environment, and the post-sign-in redirect. None may throw on hostile input; each keeps its
 * contract (a usable https?:// base URL, first-cookie-wins, tamper → null, ConfigError with one message per
 * problem, never an open redirect). Found counterexamples are kept as plain tests at the end.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "~/config.server";
import { decryptSecret, encryptSecret } from "~/services/auth/crypto.server";
import { parseCookies } from "~/services/auth/session.server";
import { normaliseHomeserverUrl } from "~/services/auth/sign-in.server";
import { safeNext } from "~/routes/login";

const RUNS = Number(process.env.PROPERTY_RUNS ?? 300);

const HOSTILE = ["", " ", "\t", "\n", "\r\n", "\u0000", "/", "//", "\\", "?", "#", "%", "%zz", "..", "@", ":", "[", "]", "\u202E", "👩‍👩‍👧", "\uD800", "x".repeat(10_000), "<script>", "javascript:", "=", ";"];
const hostile = fc.oneof(
  fc.string({ unit: "binary", maxLength: 40 }),
  fc.array(fc.constantFrom(...HOSTILE, "a", "example.org", "https://", "http://", "matrix", ".", "8448"), { maxLength: 8 }).map((xs) => xs.join("")),
);

describe("normaliseHomeserverUrl", () => {
  it("returns null or a clean http(s) base URL, and is idempotent", () => {
    const address = fc.oneof(
      hostile,
      fc.webUrl({ withQueryParameters: true, withFragments: true }),
      fc.tuple(fc.constantFrom("", "https://", "HTTP://", " "), fc.domain(), fc.constantFrom("", ":8448", ":0", ":99999"), fc.constantFrom("", "/", "//", "/matrix/", "/a/../b", "?x", "#y", "/ x")).map((p) => p.join("")),
    );
    fc.assert(
      fc.property(address, (input) => {
        const out = normaliseHomeserverUrl(input);
        if (out === null) return;
        expect(out).toMatch(/^https?:\/\//);
        expect(out.endsWith("/")).toBe(false);
        const u = new URL(out);
        expect(u.username + u.password + u.search + u.hash).toBe("");
        expect(normaliseHomeserverUrl(out)).toBe(out);
      }),
      { numRuns: RUNS },
    );
  });
});

describe("parseCookies", () => {
  it("never throws, and every key it returns is a trimmed, non-empty name", () => {
    fc.assert(
      fc.property(fc.oneof(hostile, fc.array(fc.tuple(hostile, hostile)).map((ps) => ps.map(([k, v]) => `${k}=${v}`).join("; "))), (header) => {
        const cookies = parseCookies(header);
        for (const [k, v] of Object.entries(cookies)) {
          expect(k).toBe(k.trim());
          expect(k).not.toBe("");
          expect(k).not.toContain(";");
          expect(typeof v).toBe("string");
        }
      }),
      { numRuns: RUNS },
    );
  });

  it("reads back what a server set, first occurrence winning, whatever the names and values", () => {
    const name = fc.oneof(fc.stringMatching(/^[A-Za-z0-9_!#$&'*+.^`|~-]{1,12}$/), fc.constantFrom("toString", "__proto__", "constructor", "hasOwnProperty", "steward_session"));
    fc.assert(
      fc.property(fc.array(fc.tuple(name, fc.string({ unit: "grapheme", maxLength: 30 })), { maxLength: 8 }), (pairs) => {
        const header = pairs.map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join("; ");
        const expected: Record<string, string> = {};
        for (const [k, v] of pairs) if (!Object.hasOwn(expected, k)) Object.defineProperty(expected, k, { value: v, enumerable: true });
        const got = parseCookies(header);
        expect(Object.keys(got).sort()).toEqual(Object.keys(expected).sort());
        for (const k of Object.keys(expected)) expect(got[k]).toBe(expected[k]);
      }),
      { numRuns: RUNS },
    );
  });
});

describe("decryptSecret", () => {
  const SECRET = "s".repeat(40);
  const sealedArb = fc.string({ minLength: 1, maxLength: 200 }).map((plain) => ({ plain, sealed: encryptSecret(SECRET, plain) }));

  it("round-trips", () => {
    fc.assert(
      fc.property(sealedArb, ({ plain, sealed }) => {
        expect(decryptSecret(SECRET, sealed)).toBe(plain);
      }),
      { numRuns: 100 },
    );
  });

  it("returns null (never throws) for any tampered sealed value", () => {
    const tamper = fc.oneof(
      // change one character
      fc.tuple(fc.nat(), fc.constantFrom(..."ABCxyz019-_.=+/!é\u0000")).map(([i, ch]) => (s: string) => {
        const at = i % s.length;
        return s.slice(0, at) + ch + s.slice(at + 1);
      }),
      // truncate anywhere, including inside the tag
      fc.nat().map((n) => (s: string) => s.slice(0, n % s.length)),
      // shorten one part (iv, body, tag) by whole bytes: a short GCM tag must not authenticate
      fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 12 })).map(([part, drop]) => (s: string) => {
        const parts = s.split(".");
        const bytes = Buffer.from(parts[part], "base64url");
        parts[part] = bytes.subarray(0, Math.max(0, bytes.length - drop)).toString("base64url");
        return parts.join(".");
      }),
      fc.constant((s: string) => `${s}A`),
      fc.constant((s: string) => s.split(".").reverse().join(".")),
      fc.constant((s: string) => s.replace(/^v1/, "v2")),
      fc.constant((s: string) => `${s}.extra`),
    );
    fc.assert(
      fc.property(sealedArb, tamper, ({ sealed }, f) => {
        const bad = f(sealed);
        fc.pre(bad !== sealed);
        let out: string | null | undefined;
        expect(() => (out = decryptSecret(SECRET, bad))).not.toThrow();
        // ".extra" splits away harmlessly (only four parts are read); everything else must fail.
        if (bad !== `${sealed}.extra`) expect(out).toBeNull();
      }),
      { numRuns: RUNS },
    );
  });

  it("never throws on arbitrary input or another secret", () => {
    fc.assert(
      fc.property(hostile, hostile, (secret, sealed) => {
        expect(decryptSecret(secret, sealed)).toBeNull();
        expect(decryptSecret(secret, `v1.${sealed}.${sealed}.${sealed}`)).toBeNull();
      }),
      { numRuns: RUNS },
    );
  });
});

describe("loadConfig", () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "steward-config-prop-"));
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  /** Per variable: values that must be accepted, values that must be refused. */
  const VARS: Record<string, { valid: string[]; invalid: string[] }> = {
    HOMESERVER_URL: { valid: ["https://matrix.example.org", " http://127.0.0.1:8008/ "], invalid: ["matrix.example.org", "ftp://x", "https://", "http://a b"] },
    DATABASE_URL: { valid: ["postgres://u@localhost/db", "postgresql://h/db"], invalid: ["mysql://x/y", "not a url"] },
    SYNAPSE_DATABASE_URL: { valid: ["postgres://u@localhost/synapse"], invalid: ["http://x", "::"] },
    PUBLIC_BASE_URL: { valid: ["https://steward.example.org/"], invalid: ["steward", "javascript:alert(1)"] },
    PORT: { valid: ["0", "8080", " 3000 "], invalid: ["-1", "65536", "80.5", "http", "NaN", "Infinity"] },
    SESSION_SECRET: { valid: ["a".repeat(32), ` ${"b".repeat(40)} `], invalid: ["short", "x".repeat(31)] },
    LOG_LEVEL: { valid: ["debug", "INFO", " warn "], invalid: ["verbose", "0", "trace"] },
    TRUST_PROXY: { valid: ["0", "off", "1", " 2 ", "10.0.0.0/8, loopback", "::1", "192.0.2.7"], invalid: ["true", " Yes ", "maybe", "11", "10.0.0.0/33", "tru"] },
    PUBLIC_REGISTRATION: { valid: ["1", "false"], invalid: ["nope"] },
    COLLECTORS_ENABLED: { valid: ["on"], invalid: ["enabled"] },
    SESSION_IDLE_MINUTES: { valid: ["1", "43200"], invalid: ["0", "43201", "1.5", "-5"] },
    SESSION_MAX_HOURS: { valid: ["1", "8760"], invalid: ["0", "8761"] },
    SESSION_REVERIFY_SECONDS: { valid: ["0", "3600"], invalid: ["3601", "-1"] },
    PAGE_CACHE_SECONDS: { valid: ["0", "10", "300"], invalid: ["301", "-1", "2.5"] },
    HOMESERVER_TIMEOUT_MS: { valid: ["100", "600000"], invalid: ["99", "600001", "1e400"] },
    COLLECT_USER_COUNTS_SECONDS: { valid: ["0", "604800"], invalid: ["604801"] },
    COLLECT_FEDERATION_SECONDS: { valid: ["60"], invalid: ["-60"] },
    COLLECT_POSTURE_SECONDS: { valid: ["2592000"], invalid: ["2592001"] },
    POSTURE_CONCURRENCY: { valid: ["1", "64"], invalid: ["0", "65", "2.5"] },
    POSTURE_BATCH_SIZE: { valid: ["1", "1000"], invalid: ["0", "1001"] },
    POSTURE_STALE_DAYS: { valid: ["1", "3650"], invalid: ["0", "3651"] },
    POSTURE_BACKUP_VIA_LOGIN_AS: { valid: ["true", "off"], invalid: ["sometimes"] },
    POSTURE_APPSERVICE_USERS: { valid: ["^@(telegram|whatsapp)_", " ^@bridge_ "], invalid: ["(", "[a-", "a**"] },
    POSTURE_RESUME_WITHIN_HOURS: { valid: ["0", "720"], invalid: ["721", "-1"] },
    STEWARD_SELF_CHECK_ORIGIN: { valid: ["http://127.0.0.1:8008", "https://example.org/x"], invalid: ["127.0.0.1:8008", "ftp://x"] },
    STEWARD_SELF_CHECK_FEDERATION_SCHEME: { valid: ["http", " HTTPS "], invalid: ["ftp", "tls"] },
  };
  type Choice = { kind: "valid" | "invalid" | "arbitrary" | "unset"; value?: string };
  const choice = (v: { valid: string[]; invalid: string[] }): fc.Arbitrary<Choice> =>
    fc.oneof(
      { weight: 3, arbitrary: fc.constant<Choice>({ kind: "unset" }) },
      { weight: 3, arbitrary: fc.constantFrom(...v.valid).map((value): Choice => ({ kind: "valid", value })) },
      { weight: 2, arbitrary: fc.constantFrom(...v.invalid).map((value): Choice => ({ kind: "invalid", value })) },
      { weight: 1, arbitrary: hostile.map((value): Choice => ({ kind: "arbitrary", value })) },
    );
  const envArb = fc.record(Object.fromEntries(Object.entries(VARS).map(([k, v]) => [k, choice(v)])) as Record<string, fc.Arbitrary<Choice>>);

  it("returns a Config or throws a ConfigError naming exactly the bad variables, one message each", () => {
    let n = 0;
    fc.assert(
      fc.property(envArb, fc.constantFrom("production", "development", "test", "weird", undefined), hostile, (choices, nodeEnv, extra) => {
        const env: Record<string, string | undefined> = { NODE_ENV: nodeEnv, STEWARD_DATA_DIR: path.join(tmp, `d${n++}`), UNRELATED: extra };
        for (const [k, c] of Object.entries(choices)) if (c.kind !== "unset") env[k] = c.value;
        let problems: string[] = [];
        try {
          const config = loadConfig(env);
          expect(config.sessionSecret.length).toBeGreaterThanOrEqual(32);
          expect(Number.isInteger(config.port)).toBe(true);
        } catch (e) {
          if (!(e instanceof ConfigError)) throw new Error(`not a ConfigError: ${String(e)}`);
          problems = e.problems;
          expect(e.message.split("\n").length).toBe(problems.length + 1);
        }
        const named = (name: string) => problems.filter((p) => p.startsWith(`${name} `));
        // Every problem is about one variable, and none is reported twice.
        for (const p of problems) expect(p).toMatch(/^[A-Z_]+ /);
        expect(new Set(problems.map((p) => p.split(" ")[0])).size).toBe(problems.length);
        for (const [k, c] of Object.entries(choices)) {
          if (c.kind === "valid") expect(named(k)).toEqual([]);
          if (c.kind === "invalid") expect(named(k)).toHaveLength(1);
        }
      }),
      { numRuns: RUNS },
    );
  });

  it("a data directory that cannot hold the development secret is a ConfigError, not a raw fs error", () => {
    const file = path.join(tmp, "a-file");
    fs.writeFileSync(file, "x");
    expect(() => loadConfig({ NODE_ENV: "development", HOMESERVER_URL: "https://matrix.example.org", STEWARD_DATA_DIR: path.join(file, "sub") })).toThrow(ConfigError);
  });
});

describe("safeNext", () => {
  const BASE = "https://steward.example";
  const next = fc.oneof(
    hostile,
    fc.constantFrom("/", "//evil.example", "/\\evil.example", "/\t/evil.example", "/\n/evil.example", "/.//evil.example", "/%2F%2Fevil.example", "/a/../..//evil.example", "https://evil.example", "/users?q=a b#x", "/👩‍👩‍👧", "/\\\\evil", " /x"),
    fc.webPath().map((p) => `/${p}`),
    fc.tuple(fc.constantFrom("/", "//", "/\\", "/\t"), hostile).map(([a, b]) => a + b),
  );
  it("always stays on this origin, as a browser would resolve it, and is a valid header value", () => {
    fc.assert(
      fc.property(next, (input) => {
        const out = safeNext(input);
        expect(out.startsWith("/")).toBe(true);
        expect(out.startsWith("//")).toBe(false);
        expect(out.startsWith("/\\")).toBe(false);
        expect(new URL(out, BASE).origin).toBe(BASE);
        expect(() => new Headers({ Location: out })).not.toThrow();
        // Same-origin paths are kept (same target once resolved), not replaced by "/".
        let target: URL | null = null;
        try {
          target = new URL(input, BASE);
        } catch {
          /* unparsable: "/" is fine */
        }
        if (target && target.origin === BASE && input.startsWith("/") && !input.startsWith("//") && !input.startsWith("/\\") && !target.pathname.startsWith("//")) {
          const got = new URL(out, BASE);
          expect([got.pathname, got.search, got.hash]).toEqual([target.pathname, target.search, target.hash]);
        }
      }),
      { numRuns: RUNS },
    );
  });
});

describe("foundation regressions found by the properties", () => {
  it("safeNext refuses tab/newline tricks and dot-segment tricks that browsers turn into //evil", () => {
    for (const bad of ["/\t/evil.example", "/\n/evil.example", "/.//evil.example", "/a/..//evil.example"]) expect(safeNext(bad)).toBe("/");
    expect(safeNext("/👩")).toBe("/%F0%9F%91%A9");
    expect(safeNext("/audit?page=2")).toBe("/audit?page=2");
  });

  it("a GCM tag cut to 4 bytes no longer authenticates", () => {
    const secret = "k".repeat(40);
    const [v, iv, body, tag] = encryptSecret(secret, "syt_token").split(".");
    const short = Buffer.from(tag, "base64url").subarray(0, 4).toString("base64url");
    expect(decryptSecret(secret, [v, iv, body, short].join("."))).toBeNull();
  });

  it("cookies named like Object.prototype members are read", () => {
    const got = parseCookies("toString=a; __proto__=b; steward_session=c; toString=z");
    expect(Object.keys(got).sort()).toEqual(["__proto__", "steward_session", "toString"]);
    expect([got.toString, got["__proto__"], got.steward_session]).toEqual(["a", "b", "c"]);
  });

  it("a value with a newline stays inside its one problem line, and database passwords are not echoed", () => {
    try {
      loadConfig({ NODE_ENV: "test", HOMESERVER_URL: "https://matrix.example.org", SESSION_SECRET: "z".repeat(32), LOG_LEVEL: "\n[", DATABASE_URL: "mysql://steward:hunter2@db/steward" });
      throw new Error("expected a ConfigError");
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      const { problems, message } = e as ConfigError;
      expect(problems).toHaveLength(2);
      expect(message.split("\n")).toHaveLength(3);
      expect(message).toContain('(got "\\n[")');
      expect(message).not.toContain("hunter2");
    }
  });

  it("LOG_LEVEL is trimmed like every other variable", () => {
    expect(loadConfig({ NODE_ENV: "test", HOMESERVER_URL: "https://matrix.example.org", SESSION_SECRET: "z".repeat(32), LOG_LEVEL: " warn " }).logLevel).toBe("warn");
  });
});

import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig, POSTURE_DEFAULTS } from "../../app/config.server";

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), "steward-config-"));

describe("configuration", () => {
  it("has working defaults and generates a development session secret it keeps", () => {
    const dir = tmp();
    const a = loadConfig({ HOMESERVER_URL: "https://matrix.example.org", STEWARD_DATA_DIR: dir });
    expect(a).toMatchObject({ port: 3000, host: "127.0.0.1", nodeEnv: "development", publicBaseUrl: "http://localhost:3000", publicRegistration: true });
    expect(a.sessionSecret.length).toBeGreaterThanOrEqual(32);
    expect(fs.statSync(path.join(dir, "session-secret")).mode & 0o777).toBe(0o600);
    expect(loadConfig({ HOMESERVER_URL: "https://matrix.example.org", STEWARD_DATA_DIR: dir }).sessionSecret).toBe(a.sessionSecret);
  });

  it("reports every problem at once, one clear line each", () => {
    let err: unknown;
    try {
      loadConfig({
        NODE_ENV: "production",
        HOMESERVER_URL: "matrix.example.org",
        DATABASE_URL: "mysql://x",
        PORT: "70000",
        TRUST_PROXY: "maybe",
        STEWARD_DATA_DIR: tmp(),
      });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const problems = (err as ConfigError).problems;
    expect(problems).toHaveLength(5);
    expect(problems.join("\n")).toMatch(/HOMESERVER_URL is not a valid URL/);
    expect(problems.join("\n")).toMatch(/DATABASE_URL must start with postgres:\/\/ or postgresql:\/\//);
    expect(problems.join("\n")).toMatch(/PORT must be a whole number from 0 to 65535/);
    expect(problems.join("\n")).toMatch(/TRUST_PROXY must be off, a hop count/);
    expect(problems.join("\n")).toMatch(/SESSION_SECRET is required when NODE_ENV=production/);
    expect((err as Error).message).toContain("Steward cannot start");
  });

  it("refuses a short session secret and accepts a proper production setup", () => {
    expect(() => loadConfig({ HOMESERVER_URL: "https://matrix.example.org", SESSION_SECRET: "short", STEWARD_DATA_DIR: tmp() })).toThrow(/at least 32 characters/);
    const c = loadConfig({
      NODE_ENV: "production",
      SESSION_SECRET: "s".repeat(40),
      HOMESERVER_URL: "https://matrix.example.org/",
      DATABASE_URL: "postgres://u@db/steward",
      PUBLIC_BASE_URL: "https://steward.example.org",
      PORT: "8080",
      HOST: "0.0.0.0",
      COLLECT_FEDERATION_SECONDS: "60",
    });
    expect(c).toMatchObject({
      homeserverUrl: "https://matrix.example.org",
      databaseUrl: "postgres://u@db/steward",
      publicBaseUrl: "https://steward.example.org",
      port: 8080,
      host: "0.0.0.0",
    });
    expect(c.collectIntervals.federation).toBe(60);
  });

  const problemsOf = (env: Record<string, string>): string[] => {
    try {
      loadConfig({ NODE_ENV: "test", HOMESERVER_URL: "https://matrix.example.org", SESSION_SECRET: "s".repeat(40), ...env });
    } catch (e) {
      if (e instanceof ConfigError) return e.problems;
      throw e;
    }
    return [];
  };

  it("reads HOMESERVER_AUTH (auto by default) and refuses anything but auto, synapse or mas", () => {
    expect(loadConfig({ NODE_ENV: "test", HOMESERVER_URL: "https://matrix.example.org", SESSION_SECRET: "s".repeat(40), STEWARD_DATA_DIR: tmp() }).homeserverAuth).toBe("auto");
    expect(loadConfig({ NODE_ENV: "test", HOMESERVER_URL: "https://matrix.example.org", SESSION_SECRET: "s".repeat(40), STEWARD_DATA_DIR: tmp(), HOMESERVER_AUTH: " MAS " }).homeserverAuth).toBe("mas");
    expect(problemsOf({ HOMESERVER_AUTH: "oidc", STEWARD_DATA_DIR: tmp() })).toEqual(['HOMESERVER_AUTH must be auto, synapse or mas (got "oidc").']);
  });

  it("reads the posture scan's settings, with the documented defaults", () => {
    const defaults = loadConfig({ NODE_ENV: "test", HOMESERVER_URL: "https://matrix.example.org", SESSION_SECRET: "s".repeat(40) }).posture;
    expect(defaults).toEqual({ concurrency: 8, batchSize: 200, staleDays: 90, backupViaLoginAs: false, appservicePattern: null, resumeWithinMs: 24 * 3_600_000 });
    expect(defaults).toEqual(POSTURE_DEFAULTS);
    const set = loadConfig({
      NODE_ENV: "test",
      HOMESERVER_URL: "https://matrix.example.org",
      SESSION_SECRET: "s".repeat(40),
      POSTURE_CONCURRENCY: "16",
      POSTURE_BATCH_SIZE: " 500 ",
      POSTURE_STALE_DAYS: "30",
      POSTURE_BACKUP_VIA_LOGIN_AS: "yes",
      POSTURE_APPSERVICE_USERS: "^@(telegram|whatsapp)_",
      POSTURE_RESUME_WITHIN_HOURS: "0",
    }).posture;
    expect(set).toMatchObject({ concurrency: 16, batchSize: 500, staleDays: 30, backupViaLoginAs: true, resumeWithinMs: 0 });
    expect(set.appservicePattern?.test("@telegram_123:example.org")).toBe(true);
    expect(set.appservicePattern?.test("@alice:example.org")).toBe(false);
  });

  it("refuses bad posture settings, one message each", () => {
    const problems = problemsOf({
      POSTURE_CONCURRENCY: "0",
      POSTURE_BATCH_SIZE: "lots",
      POSTURE_STALE_DAYS: "3651",
      POSTURE_BACKUP_VIA_LOGIN_AS: "maybe",
      POSTURE_APPSERVICE_USERS: "(",
      POSTURE_RESUME_WITHIN_HOURS: "1.5",
    });
    expect(problems).toEqual([
      'POSTURE_CONCURRENCY must be a whole number from 1 to 64 (got "0").',
      'POSTURE_BATCH_SIZE must be a whole number from 1 to 1000 (got "lots").',
      'POSTURE_STALE_DAYS must be a whole number from 1 to 3650 (got "3651").',
      'POSTURE_BACKUP_VIA_LOGIN_AS must be true or false (got "maybe").',
      'POSTURE_APPSERVICE_USERS is not a valid regular expression (got "(").',
      'POSTURE_RESUME_WITHIN_HOURS must be a whole number from 0 to 720 (got "1.5").',
    ]);
  });

  it("reads the embedded database's shared buffers: 32 MB by default, a whole number of MB when set", () => {
    const base = { NODE_ENV: "test", HOMESERVER_URL: "https://matrix.example.org", SESSION_SECRET: "s".repeat(40) };
    expect(loadConfig(base).pgliteSharedBuffersMb).toBe(32);
    expect(loadConfig({ ...base, PGLITE_SHARED_BUFFERS_MB: " 128 " }).pgliteSharedBuffersMb).toBe(128);
    expect(problemsOf({ PGLITE_SHARED_BUFFERS_MB: "32MB" })).toEqual(['PGLITE_SHARED_BUFFERS_MB must be a whole number from 1 to 16384 (got "32MB").']);
    expect(problemsOf({ PGLITE_SHARED_BUFFERS_MB: "0" })).toEqual(['PGLITE_SHARED_BUFFERS_MB must be a whole number from 1 to 16384 (got "0").']);
  });

  it("reads the self-check overrides: the real server by default, an origin and plain http when set", () => {
    expect(loadConfig({ NODE_ENV: "test", HOMESERVER_URL: "https://matrix.example.org", SESSION_SECRET: "s".repeat(40) }).selfCheck).toEqual({ wellKnownOrigin: undefined, federationScheme: "https" });
    const set = loadConfig({ NODE_ENV: "test", HOMESERVER_URL: "https://matrix.example.org", SESSION_SECRET: "s".repeat(40), STEWARD_SELF_CHECK_ORIGIN: " http://127.0.0.1:8008/x/ ", STEWARD_SELF_CHECK_FEDERATION_SCHEME: "http" });
    expect(set.selfCheck).toEqual({ wellKnownOrigin: "http://127.0.0.1:8008", federationScheme: "http" });
    expect(problemsOf({ STEWARD_SELF_CHECK_ORIGIN: "not a url", STEWARD_SELF_CHECK_FEDERATION_SCHEME: "tls" })).toEqual([
      'STEWARD_SELF_CHECK_ORIGIN is not a valid URL (got "not a url").',
      'STEWARD_SELF_CHECK_FEDERATION_SCHEME must be https or http (got "tls").',
    ]);
    expect(problemsOf({ STEWARD_SELF_CHECK_ORIGIN: "ftp://example.org" })).toEqual(['STEWARD_SELF_CHECK_ORIGIN must start with http:// or https:// (got "ftp://example.org").']);
  });
});

describe("configuration: the managed homeserver, proxies and secrets (issue 19, issue 14 item 20)", () => {
  const base = { NODE_ENV: "test", SESSION_SECRET: "s".repeat(40), STEWARD_DATA_DIR: tmp() };
  const problems = (env: Record<string, string>) => {
    try {
      loadConfig({ ...base, ...env });
      return [];
    } catch (e) {
      if (e instanceof ConfigError) return e.problems;
      throw e;
    }
  };

  it("refuses to start without HOMESERVER_URL, in every mode (a foreign homeserver could sign in otherwise)", () => {
    for (const NODE_ENV of ["production", "development", "test"]) {
      expect(problems({ NODE_ENV, HOMESERVER_URL: "" }).join("\n")).toMatch(/HOMESERVER_URL is required/);
      const { HOMESERVER_URL: _unset, ...rest } = { ...base, NODE_ENV, HOMESERVER_URL: "" };
      expect(() => loadConfig(rest)).toThrow(/HOMESERVER_URL is required/);
    }
  });

  it("reads TRUST_PROXY as a hop count or proxy addresses, and refuses 'everyone'", () => {
    const hs = { HOMESERVER_URL: "https://matrix.example.org" };
    expect(loadConfig({ ...base, ...hs }).trustProxy).toBe(false);
    expect(loadConfig({ ...base, ...hs, TRUST_PROXY: "1" }).trustProxy).toBe(1);
    expect(loadConfig({ ...base, ...hs, TRUST_PROXY: "10.0.0.0/8, loopback, fd00::/8" }).trustProxy).toEqual(["10.0.0.0/8", "loopback", "fd00::/8"]);
    for (const v of ["true", "yes", "on", "*"]) expect(problems({ ...hs, TRUST_PROXY: v }).join("\n")).toMatch(/would believe X-Forwarded-For from anyone/);
    expect(problems({ ...hs, TRUST_PROXY: "10.0.0.0/99" }).join("\n")).toMatch(/TRUST_PROXY must be off, a hop count/);
  });

  it("refuses the example's placeholder SESSION_SECRET although it is long enough", () => {
    const hs = { HOMESERVER_URL: "https://matrix.example.org" };
    expect(problems({ ...hs, SESSION_SECRET: "replace-with-the-output-of-openssl-rand-base64-32" }).join("\n")).toMatch(/placeholder/);
    expect(problems({ ...hs, SESSION_SECRET: "change-me-change-me-change-me-change-me" }).join("\n")).toMatch(/placeholder/);
    expect(problems({ ...hs, SESSION_SECRET: "Jx0q3lX9vEw8m2PqzK7aYbT1cR5dF6gH" })).toEqual([]);
  });
});

describe("docker-compose.yml and .dockerignore (issue 14 item 20)", () => {
  const root = path.resolve(__dirname, "../..");
  it("needs a real SESSION_SECRET, restarts, trusts one proxy hop, and keeps secrets and data out of the image", () => {
    const compose = fs.readFileSync(path.join(root, "docker-compose.yml"), "utf8");
    expect(compose).toMatch(/SESSION_SECRET: \$\{SESSION_SECRET:\?/);
    expect(compose).not.toMatch(/replace-with-the-output/);
    expect(compose.match(/restart: unless-stopped/g)?.length).toBe(2);
    expect(compose).toMatch(/TRUST_PROXY: "1"/);
    expect(compose).toMatch(/HOMESERVER_URL: /);
    const ignore = fs.readFileSync(path.join(root, ".dockerignore"), "utf8").split("\n");
    for (const entry of [".env", ".env.*", "data", "**/session-secret"]) expect(ignore).toContain(entry);
  });
});

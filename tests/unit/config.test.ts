import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../app/config.server";

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), "steward-config-"));

describe("configuration", () => {
  it("has working defaults and generates a development session secret it keeps", () => {
    const dir = tmp();
    const a = loadConfig({ STEWARD_DATA_DIR: dir });
    expect(a).toMatchObject({ port: 3000, host: "127.0.0.1", nodeEnv: "development", publicBaseUrl: "http://localhost:3000", publicRegistration: true });
    expect(a.sessionSecret.length).toBeGreaterThanOrEqual(32);
    expect(fs.statSync(path.join(dir, "session-secret")).mode & 0o777).toBe(0o600);
    expect(loadConfig({ STEWARD_DATA_DIR: dir }).sessionSecret).toBe(a.sessionSecret);
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
    expect(problems.join("\n")).toMatch(/TRUST_PROXY must be true or false/);
    expect(problems.join("\n")).toMatch(/SESSION_SECRET is required when NODE_ENV=production/);
    expect((err as Error).message).toContain("Steward cannot start");
  });

  it("refuses a short session secret and accepts a proper production setup", () => {
    expect(() => loadConfig({ SESSION_SECRET: "short", STEWARD_DATA_DIR: tmp() })).toThrow(/at least 32 characters/);
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
});

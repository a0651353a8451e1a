/** The embedded database admits one process: a second one gets a clear error, never a silent second writer. */
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { openDatabase } from "../../db/client";
import { acquireDataDirLock, DataDirLockedError } from "../../db/lockfile";

function runChild(code: string): Promise<{ status: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(path.resolve("node_modules/.bin/tsx"), ["-e", code], { cwd: process.cwd() });
    let stderr = "";
    child.stderr.on("data", (d) => (stderr += d));
    child.on("close", (status) => resolve({ status, stderr }));
  });
}

describe("embedded database lock", () => {
  it("refuses a second process with a message naming the owner, and frees the directory on close", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "steward-lock-"));
    const db = await openDatabase({ dataDir: dir });
    try {
      const child = await runChild(
        `import("./db/client.ts").then(m => m.openDatabase({ dataDir: ${JSON.stringify(dir)} })).then(() => process.exit(0), e => { console.error(e.message); process.exit(e.name === "DataDirLockedError" ? 3 : 1); })`,
      );
      expect(child.status).toBe(3);
      expect(child.stderr).toContain(`in use by another Steward process (pid ${process.pid})`);
    } finally {
      await db.close();
    }
    expect(fs.existsSync(path.join(dir, "steward.lock"))).toBe(false);
    const again = await openDatabase({ dataDir: dir });
    await again.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }, 90_000);

  it("takes over a lock left by a process that no longer exists", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "steward-lock-"));
    fs.writeFileSync(path.join(dir, "steward.lock"), "999999999");
    const lock = acquireDataDirLock(dir);
    expect(fs.readFileSync(path.join(dir, "steward.lock"), "utf8")).toBe(String(process.pid));
    expect(() => acquireDataDirLock(dir)).toThrow(DataDirLockedError);
    lock.release();
    fs.rmSync(dir, { recursive: true, force: true });
  });
});

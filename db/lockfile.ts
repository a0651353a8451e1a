/**
 * PGlite has no lock between processes: two processes on one data directory silently lose writes.
 * So the embedded database is guarded by an exclusive lock file holding the owner's pid. A lock left by a
 * process that no longer exists (killed with SIGKILL) is taken over; a live owner is a clear error.
 */
import fs from "node:fs";
import path from "node:path";

export class DataDirLockedError extends Error {
  constructor(
    readonly lockPath: string,
    readonly ownerPid: number,
  ) {
    super(
      `The embedded database in ${path.dirname(lockPath)} is in use by another Steward process (pid ${ownerPid}). ` +
        `Stop that process, or point STEWARD_DATA_DIR at another directory, or use PostgreSQL (DATABASE_URL) to run several processes.`,
    );
    this.name = "DataDirLockedError";
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * The live process holding the data directory's lock, or null when it is free (no lock, or a stale one that
 * acquireDataDirLock would take over). A look only: it takes nothing, so a caller can check before slow work.
 */
export function dataDirLockOwner(dataDir: string): number | null {
  let raw: string;
  try {
    raw = fs.readFileSync(path.join(dataDir, "steward.lock"), "utf8");
  } catch {
    return null;
  }
  const owner = Number.parseInt(raw.trim(), 10);
  return Number.isFinite(owner) && (owner === process.pid || isAlive(owner)) ? owner : null;
}

export interface DataDirLock {
  release(): void;
}

export function acquireDataDirLock(dataDir: string): DataDirLock {
  fs.mkdirSync(dataDir, { recursive: true });
  const lockPath = path.join(dataDir, "steward.lock");
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = fs.openSync(lockPath, "wx", 0o600);
      fs.writeSync(fd, String(process.pid));
      fs.closeSync(fd);
      let released = false;
      return {
        release() {
          if (released) return;
          released = true;
          try {
            if (fs.readFileSync(lockPath, "utf8").trim() === String(process.pid)) fs.unlinkSync(lockPath);
          } catch {
            /* already gone */
          }
        },
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      const owner = Number.parseInt(fs.readFileSync(lockPath, "utf8").trim(), 10);
      if (Number.isFinite(owner) && owner !== process.pid && isAlive(owner)) throw new DataDirLockedError(lockPath, owner);
      if (owner === process.pid) throw new DataDirLockedError(lockPath, owner);
      // Stale lock from a dead process: remove it and try again.
      fs.rmSync(lockPath, { force: true });
    }
  }
  throw new Error(`Could not take the lock file ${lockPath}`);
}

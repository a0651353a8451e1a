/**
 * What `npm run demo` checks before it spends seconds building: that Steward's port is free and that no other
 * Steward holds the embedded database's data directory (db/lockfile.ts). Both would otherwise fail only after the
 * build and the database start (issue 14, item 25). Looks only: it takes neither, so the real start still decides.
 */
import net from "node:net";
import path from "node:path";
import type { Config } from "../app/config.server";
import { dataDirLockOwner } from "../db/lockfile";

/** Whether something already listens on host:port (tried by listening there, as Steward will). */
export function portInUse(port: number, host: string): Promise<boolean> {
  if (port === 0) return Promise.resolve(false);
  return new Promise((resolve) => {
    const probe = net.createServer();
    probe.once("error", (e: NodeJS.ErrnoException) => resolve(e.code === "EADDRINUSE" || e.code === "EACCES"));
    probe.listen(port, host, () => probe.close(() => resolve(false)));
  });
}

/** The problems that would stop Steward from starting, in words for the terminal; empty when it can start. */
export async function startProblems(config: Pick<Config, "port" | "host" | "dataDir" | "databaseUrl">): Promise<string[]> {
  const problems: string[] = [];
  if (await portInUse(config.port, config.host)) {
    problems.push(`Port ${config.port} on ${config.host} is already in use (another Steward or another program). Stop it, or choose another port with PORT=…`);
  }
  // With DATABASE_URL the data directory holds no database, so nobody locks it.
  if (!config.databaseUrl) {
    const owner = dataDirLockOwner(config.dataDir);
    if (owner !== null) {
      problems.push(
        `The embedded database in ${path.resolve(config.dataDir)} is in use by another Steward process (pid ${owner}). Stop that process, or point STEWARD_DATA_DIR at another directory.`,
      );
    }
  }
  return problems;
}

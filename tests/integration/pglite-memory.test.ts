/**
 * The embedded database starts with the shared buffers Steward asks for (decision 011): 32 MB unless configured,
 * on every open of a data directory, not only the first.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect, it } from "vitest";
import { sql } from "drizzle-orm";
import { openDatabase } from "../../db/client";

async function sharedBuffers(dataDir: string, mb?: number): Promise<string> {
  const database = await openDatabase({ dataDir, pgliteSharedBuffersMb: mb });
  try {
    const r = (await database.db.execute(sql`show shared_buffers`)) as unknown as { rows: Array<{ shared_buffers: string }> };
    return r.rows[0].shared_buffers;
  } finally {
    await database.close();
  }
}

it("uses 32 MB by default and the configured size when given, each time the directory is opened", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "steward-pglite-memory-"));
  try {
    expect(await sharedBuffers(dir)).toBe("32MB");
    expect(await sharedBuffers(dir, 16)).toBe("16MB");
    expect(await sharedBuffers(dir)).toBe("32MB");
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}, 60_000);

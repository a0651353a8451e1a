/**
 * A child process for the crash-safety tests: opens Steward's database (DATABASE_URL, or the embedded one in
 * STEWARD_DATA_DIR), then runs one service — a token issue, a posture scan, a nudge batch or the bulk user jobs —
 * against HS_URL. The
 * test kills it with SIGKILL at a chosen point (see hold-proxy.ts) and checks what the next run repairs.
 *   CRASH_JOB=issue|scan|nudge|bulk  CRASH_ARGS='{"...":...}'  HS_URL=…  HS_TOKEN=…
 */
import { openDatabase } from "../../db/client";
import { createHomeserverClient } from "../../app/homeserver/index";
import { issueToken } from "../../app/services/tokens/issue.server";
import { runPostureScan } from "../../app/services/posture/scan.server";
import { POSTURE_DEFAULTS } from "../../app/config.server";
import { sendNudges } from "../../app/services/posture/nudge.server";
import { runBulkJobs } from "../../app/services/users/bulk/run.server";
import { userActionsBackend } from "../../app/services/users/actions/target.server";

const say = (msg: string, fields: Record<string, unknown> = {}) => process.stdout.write(JSON.stringify({ msg, ...fields }) + "\n");

async function main() {
  const database = await openDatabase({ url: process.env.DATABASE_URL || undefined, dataDir: process.env.STEWARD_DATA_DIR });
  await database.migrate();
  const hs = createHomeserverClient({ baseUrl: process.env.HS_URL!, accessToken: process.env.HS_TOKEN!, timeoutMs: 60_000, maxRetries: 0 });
  const args = JSON.parse(process.env.CRASH_ARGS ?? "{}") as Record<string, unknown>;
  say("ready");
  const job = process.env.CRASH_JOB;
  let result: unknown;
  if (job === "issue") {
    result = await issueToken({ db: database.db, hs }, { length: 16, usesAllowed: 1, expiryTime: null, issuedFor: String(args.issuedFor), note: null }, String(args.actor));
  } else if (job === "scan") {
    const settings = { ...POSTURE_DEFAULTS, batchSize: Number(args.batchSize), concurrency: 1 };
    result = await runPostureScan({ db: database.db, hs, now: () => new Date(), settings });
  } else if (job === "nudge") {
    result = await sendNudges(database.db, hs, {
      batchId: String(args.batchId),
      actor: String(args.actor),
      userIds: args.userIds as string[],
      body: String(args.body),
      now: new Date(),
      concurrency: 1,
    });
  } else if (job === "bulk") {
    result = await runBulkJobs({ db: database.db, database, hs, backend: userActionsBackend(hs), now: () => new Date(), concurrency: 1 });
  } else throw new Error(`unknown CRASH_JOB ${job}`);
  say("done", { result });
  await database.close();
}

main().catch((e) => {
  say("failed", { error: (e as Error).message });
  process.exit(1);
});

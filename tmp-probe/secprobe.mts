import { openDatabase } from "../db/client";
import { createScratchPostgres, seedPostureScan } from "../bench/seed";
import { postureReportData, countNudgeable, countSignOutCandidates } from "../app/services/posture/report.server";
import { parsePostureQuery } from "../app/services/posture/query.server";
const scratch = await createScratchPostgres("postgres://postgres@127.0.0.1:5432/postgres", "secprobe_" + Date.now());
const d = await openDatabase({ url: scratch.url, poolSize: 5 }); await d.migrate();
const scanId = await seedPostureScan(d, 100000, new Date());
await d.db.execute(`vacuum analyze posture_users` as any).catch(()=>{});
const q = { ...parsePostureQuery(new URLSearchParams("")).query, pageSize: 50 };
for (let i = 0; i < 4; i++) {
  let t = performance.now(); const r = await postureReportData(d.db, q as any, "postgres"); const a = performance.now() - t;
  t = performance.now(); await countNudgeable(d.db, r.scan!.id, q as any); const b = performance.now() - t;
  t = performance.now(); await countSignOutCandidates(d.db, r.scan!.id, q as any); const c = performance.now() - t;
  console.log("report", a.toFixed(1), "nudge", b.toFixed(1), "signout", c.toFixed(1));
}
await d.close(); await scratch.drop();

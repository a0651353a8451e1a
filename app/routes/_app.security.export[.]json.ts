/** /security/export.json: the current filter as JSON (scan facts + one object per user), streamed. */
import type { LoaderFunctionArgs } from "@remix-run/node";
import { requireAdmin } from "~/services/auth/guard.server";
import { jsonRow, textStream } from "~/services/posture/export.server";
import { parsePostureQuery } from "~/services/posture/query.server";
import { exportBatches, latestCompleteScan } from "~/services/posture/report.server";

export async function loader(args: LoaderFunctionArgs) {
  const { steward } = await requireAdmin(args);
  const { query } = parsePostureQuery(new URL(args.request.url).searchParams);
  const scan = await latestCompleteScan(steward.db);
  if (!scan) return Response.json({ error: "No complete security scan yet." }, { status: 404 });
  async function* chunks() {
    const head = {
      scan: { finished_at: scan!.finishedAt!.toISOString(), key_backup_source: scan!.backupSource, key_query_limited: scan!.keyQueryLimited, stale_days: scan!.staleDays, notes: scan!.notes ?? [] },
    };
    yield JSON.stringify(head).slice(0, -1) + ',"users":[';
    let first = true;
    for await (const batch of exportBatches(steward.db, scan!.id, query)) {
      for (const r of batch) {
        yield (first ? "" : ",") + JSON.stringify(jsonRow(r));
        first = false;
      }
    }
    yield "]}";
  }
  return new Response(textStream(chunks()), {
    headers: {
      "Content-Type": "application/json; charset=utf-8",
      "Content-Disposition": `attachment; filename="steward-security-${scan.finishedAt!.toISOString().slice(0, 10)}.json"`,
      "Cache-Control": "no-store",
      "X-Content-Type-Options": "nosniff",
    },
  });
}

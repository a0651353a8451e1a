/** /security/export.csv: the current filter as CSV, streamed; formula-like cells neutralised (posture-export). */
import type { LoaderFunctionArgs } from "@remix-run/node";
import { requireAdmin } from "~/services/auth/guard.server";
import { csvHeader, csvLine, textStream } from "~/services/posture/export.server";
import { parsePostureQuery } from "~/services/posture/query.server";
import { exportBatches, latestCompleteScan } from "~/services/posture/report.server";

export async function loader(args: LoaderFunctionArgs) {
  const { steward } = await requireAdmin(args);
  const { query } = parsePostureQuery(new URL(args.request.url).searchParams);
  const scan = await latestCompleteScan(steward.db);
  if (!scan) return new Response("No complete security scan yet.", { status: 404, headers: { "Content-Type": "text/plain; charset=utf-8" } });
  async function* chunks() {
    // The BOM makes spreadsheet programs read the file as UTF-8 (display names are often not ASCII).
    yield "\uFEFF" + csvHeader();
    for await (const batch of exportBatches(steward.db, scan!.id, query)) yield batch.map(csvLine).join("");
  }
  const date = scan.finishedAt!.toISOString().slice(0, 10);
  return new Response(textStream(chunks()), {
    headers: {
      "Content-Type": "text/csv; charset=utf-8",
      "Content-Disposition": `attachment; filename="steward-security-${date}.csv"`,
      "Cache-Control": "no-store",
      "X-Content-Type-Options": "nosniff",
    },
  });
}

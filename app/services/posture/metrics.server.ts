/** The posture report's /metrics gauges and its overview card, from the latest complete scan (database only). */
import type { GaugeProvider } from "../observability/gauges.server";
import type { KpiProvider } from "../overview/kpis.server";
import { CHECKS } from "./classify.server";
import { latestCompleteScan } from "./report.server";

export const postureGauges: GaugeProvider = async (db) => {
  const scan = await latestCompleteScan(db);
  const scope = scan?.summary?.scoped ?? scan?.summary;
  if (!scan || !scope) return [];
  return [
    {
      name: "steward_security_users",
      help: "Active local users (not deactivated, bots, support or appservice users) per posture check and status, at the latest complete scan.",
      samples: CHECKS.flatMap((check) =>
        (["ok", "missing", "unknown"] as const).map((status) => ({ labels: { check, status }, value: scope.checks[check]?.[status] ?? 0 })),
      ),
    },
    {
      name: "steward_security_scan_timestamp_seconds",
      help: "When the latest complete security posture scan finished (Unix time).",
      samples: [{ labels: {}, value: Math.floor(scan.finishedAt!.getTime() / 1000) }],
    },
  ];
};

export const postureKpis: KpiProvider = async ({ db }) => {
  const scan = await latestCompleteScan(db);
  const scope = scan?.summary?.scoped ?? scan?.summary;
  if (!scan || !scope) return [];
  const fully = scope.checks.fully_secured;
  const notSecured = fully.missing + fully.unknown;
  return [
    {
      id: "security.not_secured",
      label: "Users not fully secured",
      value: notSecured,
      better: "down",
      href: "/security?check=fully_secured&status=missing",
      hint: `of ${scope.users.toLocaleString("en")} active users${fully.unknown ? `, ${fully.unknown.toLocaleString("en")} unknown` : ""}`,
    },
  ];
};

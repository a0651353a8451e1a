/** The overview's user charts: accounts over time, active users (1/7/30 d) and registrations per bucket. */
import { memo } from "react";
import { Bar, BarChart, CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import type { UserSeries } from "~/services/users/series";
import { CHART_HEIGHT, ChartFrame, legendOrder, timeTick, tooltipBucket, tooltipMoment } from "../charts/ChartFrame";
import { RANGE_DAYS } from "~/services/users/ranges";

const COLORS = { total: "#1f5f99", deactivated: "#9aa5b1", d1: "#c2410c", d7: "#15803d", d30: "#1f5f99", regs: "#6d28d9" };
const fmt = new Intl.NumberFormat("en-GB");
// Legends in reading order (recharts would sort them by label: "1 day, 30 days, 7 days").
const ACCOUNTS_LEGEND = legendOrder(["total", "deactivated"]);
const ACTIVE_LEGEND = legendOrder(["active1d", "active7d", "active30d"]);

function TimeAxis({ days }: { days: number | null }) {
  return <XAxis dataKey="t" type="number" scale="time" domain={["dataMin", "dataMax"]} tickFormatter={timeTick(days)} minTickGap={40} />;
}

// Memoised: a page re-renders whenever the router's state changes (a navigation starting, its data arriving),
// and this part's props, straight from the loader data, have not changed then.
export const UserCharts = memo(function UserCharts({ series, unavailableActive }: { series: UserSeries; unavailableActive?: string | null }) {
  const days = RANGE_DAYS[series.range];
  const last = series.counts.at(-1);
  const noCounts = series.counts.length === 0 ? "No snapshots in this range yet." : null;
  const regTotal = series.registrations.reduce((s, r) => s + r.count, 0);
  // Days before Steward's first count are rebuilt from creation times (counts.server.ts): say what they cannot know.
  const rebuiltUntil = series.counts.filter((p) => p.rebuilt).at(-1)?.t;
  return (
    <div className="charts">
      <div>
      <ChartFrame
        title="Accounts over time"
        testId="chart-accounts"
        summary={last ? `${fmt.format(last.total)} accounts${last.deactivated === null ? "" : `, ${fmt.format(last.deactivated)} deactivated`}` : "no data"}
        empty={noCounts}
      >
        {(width) => (
          <ResponsiveContainer width="100%" height={CHART_HEIGHT} initialDimension={{ width, height: CHART_HEIGHT }}>
            <LineChart data={series.counts} margin={{ top: 8, right: 16, bottom: 8, left: 8 }}>
              <CartesianGrid strokeDasharray="3 3" />
              <TimeAxis days={days} />
              <YAxis allowDecimals={false} width={60} />
              <Tooltip labelFormatter={tooltipMoment} />
              <Legend itemSorter={ACCOUNTS_LEGEND} />
              <Line type="monotone" dataKey="total" name="Accounts" stroke={COLORS.total} dot={series.counts.length < 3} isAnimationActive={false} />
              <Line type="monotone" dataKey="deactivated" name="Deactivated" stroke={COLORS.deactivated} dot={false} isAnimationActive={false} />
            </LineChart>
          </ResponsiveContainer>
        )}
      </ChartFrame>
      {rebuiltUntil !== undefined && (
        <p className="muted" data-testid="accounts-rebuilt-note" style={{ margin: "-.5rem 0 1rem", fontSize: ".85rem" }}>
          Up to {new Date(rebuiltUntil).toLocaleDateString("en-GB", { day: "numeric", month: "short", year: "numeric", timeZone: "UTC" })}, before Steward&apos;s
          first count, accounts are rebuilt from when each was created: accounts deactivated before then still count, and
          deactivations and activity are unknown.
        </p>
      )}
      </div>
      <ChartFrame
        title="Active users"
        testId="chart-active"
        summary={last && last.active30d !== null ? `${fmt.format(last.active30d)} active in 30 days, ${fmt.format(last.active7d ?? 0)} in 7, ${fmt.format(last.active1d ?? 0)} in 1` : "no data"}
        empty={noCounts ?? (unavailableActive || null)}
      >
        {(width) => (
          <ResponsiveContainer width="100%" height={CHART_HEIGHT} initialDimension={{ width, height: CHART_HEIGHT }}>
            <LineChart data={series.counts} margin={{ top: 8, right: 16, bottom: 8, left: 8 }}>
              <CartesianGrid strokeDasharray="3 3" />
              <TimeAxis days={days} />
              <YAxis allowDecimals={false} width={60} />
              <Tooltip labelFormatter={tooltipMoment} />
              <Legend itemSorter={ACTIVE_LEGEND} />
              <Line type="monotone" dataKey="active30d" name="30 days" stroke={COLORS.d30} dot={series.counts.length < 3} isAnimationActive={false} />
              <Line type="monotone" dataKey="active7d" name="7 days" stroke={COLORS.d7} dot={false} isAnimationActive={false} />
              <Line type="monotone" dataKey="active1d" name="1 day" stroke={COLORS.d1} dot={false} isAnimationActive={false} />
            </LineChart>
          </ResponsiveContainer>
        )}
      </ChartFrame>
      <ChartFrame
        title={`Registrations per ${series.registrationBucket}`}
        testId="chart-registrations"
        summary={`${fmt.format(regTotal)} accounts created in this range`}
        // Before the first count there is nothing to say "none" about: the chart says so like the two above.
        empty={regTotal > 0 ? null : noCounts ?? "No accounts were created in this range."}
      >
        {(width) => (
          <ResponsiveContainer width="100%" height={CHART_HEIGHT} initialDimension={{ width, height: CHART_HEIGHT }}>
            <BarChart data={series.registrations} margin={{ top: 8, right: 16, bottom: 8, left: 8 }}>
              <CartesianGrid strokeDasharray="3 3" />
              <XAxis dataKey="t" tickFormatter={timeTick(days === null || days > 366 ? null : days > 30 ? 365 : 30)} minTickGap={30} />
              <YAxis allowDecimals={false} width={50} />
              <Tooltip labelFormatter={tooltipBucket(series.registrationBucket)} />
              <Bar dataKey="count" name="New accounts" fill={COLORS.regs} isAnimationActive={false} />
            </BarChart>
          </ResponsiveContainer>
        )}
      </ChartFrame>
    </div>
  );
});

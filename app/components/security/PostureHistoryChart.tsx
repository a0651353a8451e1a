/**
 * Share of users passing each check, per scan, as wide as its card. Drawn after hydration, a frame after the page (ChartFrame; recharts measures the DOM);
 * the server renders a same-sized box with a text summary.
 */
import { memo } from "react";
import { CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { ChartFrame, legendOrder, timeTickFor, tooltipMoment } from "../charts/ChartFrame";

export interface PosturePoint {
  at: string;
  users: number;
  fullySecured: number;
  crossSigning: number;
  recovery: number;
  keyBackup: number;
}

const HEIGHT = 240;
const LINES: Array<[keyof PosturePoint, string, string]> = [
  ["fullySecured", "Fully secured", "#15803d"],
  ["crossSigning", "Cross-signing", "#2563eb"],
  ["recovery", "Recovery", "#9333ea"],
  ["keyBackup", "Key backup (ok)", "#d97706"],
];
const LEGEND_ORDER = legendOrder(LINES.map(([key]) => key));

// Memoised: a page re-renders whenever the router's state changes (a navigation starting, its data arriving),
// and this part's props, straight from the loader data, have not changed then.
export const PostureHistoryChart = memo(function PostureHistoryChart({ points }: { points: PosturePoint[] }) {
  const data = points.map((p) => ({ ...p, t: Date.parse(p.at) }));
  const tick = timeTickFor(data.map((p) => p.t));
  const last = points.at(-1);
  const summary = last ? `${last.fullySecured}% of ${last.users} users fully secured at the latest scan (${points.length} scans).` : "";
  return (
    <ChartFrame title="Share of users passing each check, per scan" summary={summary} empty={points.length ? null : "No complete scan yet: the chart starts with the first one."} testId="posture-chart">
      {(width) => (
        <ResponsiveContainer width="100%" height={HEIGHT} initialDimension={{ width, height: HEIGHT }}>
          <LineChart data={data} margin={{ top: 8, right: 16, bottom: 0, left: 0 }}>
            <CartesianGrid strokeDasharray="3 3" />
            <XAxis dataKey="t" type="number" scale="time" domain={["dataMin", "dataMax"]} tickFormatter={tick} minTickGap={40} />
            <YAxis domain={[0, 100]} unit="%" />
            <Tooltip labelFormatter={tooltipMoment} formatter={(v) => `${v}%`} />
            <Legend itemSorter={LEGEND_ORDER} />
            {LINES.map(([key, name, color]) => (
              <Line key={key} type="monotone" dataKey={key} name={name} stroke={color} dot={points.length < 30} isAnimationActive={false} />
            ))}
          </LineChart>
        </ResponsiveContainer>
      )}
    </ChartFrame>
  );
});

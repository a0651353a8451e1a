/**
 * Destinations per state over time (stacked areas), as wide as its card. Drawn after hydration, a frame after the page (useAfterFirstPaint): recharts
 * measures the DOM, so the server renders a placeholder of the same size (no layout shift, no mismatch).
 */
import { memo } from "react";
import { Area, AreaChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { STATE_ORDER, STATE_TEXT } from "./states";
import { ChartRoot, legendOrder, timeTickFor, tooltipMoment, useAfterFirstPaint } from "../charts/ChartFrame";

export interface HistoryPoint {
  at: number;
  healthy: number;
  backing_off: number;
  retry_due: number;
  dead: number;
}

const HEIGHT = 260;
const LEGEND_ORDER = legendOrder(STATE_ORDER);

// Memoised: a page re-renders whenever the router's state changes (a navigation starting, its data arriving),
// and this part's props, straight from the loader data, have not changed then.
export const StateHistoryChart = memo(function StateHistoryChart({ points }: { points: HistoryPoint[] }) {
  const mounted = useAfterFirstPaint();
  // In UTC, as every chart and time on the server's pages: the browser's own zone would say other hours unmarked.
  const tick = timeTickFor(points.map((p) => p.at));
  if (points.length === 0) {
    return <p className="muted">No snapshots yet: the chart starts with the first collection.</p>;
  }
  return (
    <div style={{ width: "100%", height: HEIGHT }} data-testid="state-chart" aria-label="Destinations per state over time">
      {mounted ? (
        <ChartRoot
          chart={(width) => (
            <ResponsiveContainer width="100%" height={HEIGHT} initialDimension={{ width, height: HEIGHT }}>
              <AreaChart data={points} margin={{ top: 8, right: 16, bottom: 0, left: 0 }}>
                <CartesianGrid strokeDasharray="3 3" />
                <XAxis dataKey="at" type="number" scale="time" domain={["dataMin", "dataMax"]} tickFormatter={tick} minTickGap={40} />
                <YAxis allowDecimals={false} />
                <Tooltip labelFormatter={tooltipMoment} />
                <Legend itemSorter={LEGEND_ORDER} />
                {/* stepBefore: a snapshot's counts fill the interval up to it, so the latest one (the cards' counts) shows
                    at the right edge; drawn from it onwards (stepAfter) it had no width, and a destination that had just
                    recovered was still dead in the chart beside a card saying otherwise. */}
                {STATE_ORDER.map((s) => (
                  <Area key={s} type="stepBefore" dataKey={s} name={STATE_TEXT[s].label} stackId="states" stroke={STATE_TEXT[s].color} fill={STATE_TEXT[s].color} fillOpacity={0.35} isAnimationActive={false} />
                ))}
              </AreaChart>
            </ResponsiveContainer>
          )}
        />
      ) : null}
    </div>
  );
});

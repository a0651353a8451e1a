/** Registrations per day with one token (from the daily counter snapshots), drawn after hydration. */
import { Bar, BarChart, CartesianGrid, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { CHART_HEIGHT, ChartFrame, timeTick } from "~/components/charts/ChartFrame";
import { dateUtc } from "~/services/format/time";

export interface TokenDay {
  day: string;
  completed: number;
  pending: number;
}

/** A snapshot's UTC day ("2026-11-28") as an admin reads it: "28 Nov" on the axis, "28 Nov 2026" in the tooltip. */
const asDay = (format: (ms: number) => string) => (day: unknown) => {
  const ms = Date.parse(`${String(day)}T00:00:00Z`);
  return Number.isFinite(ms) ? format(ms) : String(day);
};
export const dayTick = asDay(timeTick(30));
export const dayLabel = asDay(dateUtc);

/** New completed registrations per day: the difference between consecutive daily readings. */
export function dailyRegistrations(history: TokenDay[]): { day: string; registrations: number }[] {
  return history.map((h, i) => ({ day: h.day, registrations: Math.max(0, h.completed - (i > 0 ? history[i - 1].completed : h.completed)) }));
}

export function TokenHistoryChart({ history }: { history: TokenDay[] }) {
  const data = dailyRegistrations(history);
  const total = data.reduce((n, d) => n + d.registrations, 0);
  return (
    <ChartFrame
      title="Registrations per day"
      testId="token-history"
      summary={`${total} registrations over ${data.length} days with snapshots`}
      empty={history.length < 2 ? "The collector has not taken two daily snapshots of this token yet." : null}
    >
      {(width) => (
        <ResponsiveContainer width="100%" height="100%" initialDimension={{ width, height: CHART_HEIGHT }}>
          <BarChart data={data} margin={{ top: 8, right: 8, bottom: 8, left: 0 }}>
            <CartesianGrid strokeDasharray="3 3" vertical={false} />
            <XAxis dataKey="day" fontSize={12} tickFormatter={dayTick} minTickGap={24} />
            <YAxis allowDecimals={false} fontSize={12} width={36} />
            <Tooltip labelFormatter={dayLabel} />
            <Bar dataKey="registrations" name="Registrations" fill="#0f5c4d" isAnimationActive={false} />
          </BarChart>
        </ResponsiveContainer>
      )}
    </ChartFrame>
  );
}

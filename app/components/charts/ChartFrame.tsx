/**
 * A titled, fixed-height frame for a recharts chart. Recharts measures the DOM, so charts render only after
 * hydration, and then only after the page's first paint (useAfterFirstPaint); until then (and without JavaScript)
 * the frame keeps its size and shows a short text summary, so the page does not jump.
 */
import { useEffect, useRef, useState, type ReactNode } from "react";
import { createRoot, type Root } from "react-dom/client";
import { dateTimeUtc, dateUtc } from "~/services/format/time";

export const CHART_HEIGHT = 260;

export function useHydrated(): boolean {
  const [hydrated, setHydrated] = useState(false);
  useEffect(() => setHydrated(true), []);
  return hydrated;
}

/**
 * True from the frame after the component was first painted. A chart waits for it: drawing one (recharts measures,
 * then renders in several passes) took tens of milliseconds, and started right after the page's commit it held back
 * the frame that shows the rest of the page — the list a person came for (issue 18: the federation and security
 * lists' navigations). The chart's frame keeps its size meanwhile, so nothing moves.
 */
export function useAfterFirstPaint(): boolean {
  const [painted, setPainted] = useState(false);
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    // requestAnimationFrame runs just before the next paint; a task queued from it runs after that paint.
    const frame = requestAnimationFrame(() => (timer = setTimeout(() => setPainted(true), 0)));
    return () => {
      cancelAnimationFrame(frame);
      clearTimeout(timer);
    };
  }, []);
  return painted;
}

/**
 * A drawn chart in a React root of its own, torn down only after the page that replaced it has been painted.
 *
 * Unmounting a recharts chart dispatches to its store once per axis, series and tooltip (immer copies each state):
 * ~10 ms for the overview's three charts on the 2-core host. In the page's own root that teardown ran inside the
 * commit that draws the next page (issue 18: leaving the overview for the users list). In a root of its own, the
 * page's commit only takes the chart's box off the page, with the chart inside it; the chart's root is unmounted once
 * the next page is on screen. Nothing is lost: the box is gone from the page either way, and the root is unmounted
 * (its observers and store let go) a frame later. Charts need no context from the page (no router, no query client):
 * their props are plain data.
 *
 * `chart` is given the box's width, measured once the box is on the page, for its ResponsiveContainer's
 * `initialDimension`: drawn at any other width, recharts measures the box after the first draw and draws the whole
 * chart again (two full renders per chart at sign-in → overview, issue 18).
 */
export function ChartRoot({ chart }: { chart: (width: number) => ReactNode }) {
  const box = useRef<HTMLDivElement>(null);
  const root = useRef<Root | null>(null);
  const width = useRef(0);
  useEffect(() => {
    width.current = Math.round(box.current!.getBoundingClientRect().width);
    const own = createRoot(box.current!);
    root.current = own;
    return () => {
      root.current = null;
      // requestAnimationFrame runs just before the next paint; a task queued from it runs after that paint.
      requestAnimationFrame(() => setTimeout(() => own.unmount(), 0));
    };
  }, []);
  // Declared after the effect above, so on mount it runs after the root exists; then on every render (new data).
  useEffect(() => root.current?.render(chart(width.current)));
  return <div ref={box} data-chart-root="" style={{ width: "100%", height: "100%" }} />;
}

export function ChartFrame({ title, summary, empty, children, testId }: { title: string; summary: string; empty?: string | null; children: (width: number) => ReactNode; testId: string }) {
  const hydrated = useAfterFirstPaint();
  return (
    <section className="panel" aria-label={title} data-testid={testId}>
      <h2 style={{ fontSize: "1rem", margin: "0 0 .5rem" }}>{title}</h2>
      <div style={{ width: "100%", height: CHART_HEIGHT }} role="img" aria-label={`${title}: ${summary}`}>
        {empty ? (
          <p className="muted">{empty}</p>
        ) : hydrated ? (
          <ChartRoot chart={children} />
        ) : (
          <p className="muted small">{summary}</p>
        )}
      </div>
    </section>
  );
}

/**
 * A legend in the order given (recharts sorts its items by label by default: "1 day, 30 days, 7 days", "Backing off,
 * Dead, Healthy, Retry due"). For `<Legend itemSorter={legendOrder([...dataKeys])} />`; keys not listed go last.
 */
export function legendOrder(dataKeys: readonly string[]): (item: { dataKey?: unknown }) => number {
  return (item) => {
    const i = dataKeys.indexOf(String(item.dataKey));
    return i < 0 ? dataKeys.length : i;
  };
}

const tooltipMonth = new Intl.DateTimeFormat("en-GB", { month: "long", year: "numeric", timeZone: "UTC" });

/** A point's moment in a chart's tooltip, as the rest of Steward writes times: "5 Dec 2026, 06:00 UTC". */
export const tooltipMoment = (ms: unknown) => dateTimeUtc(Number(ms));

/** A bucket in a chart's tooltip, from its start: "5 Dec 2026", "Week of 30 Nov 2026", "November 2026". */
export const tooltipBucket = (bucket: "day" | "week" | "month") => (ms: unknown) =>
  bucket === "month" ? tooltipMonth.format(Number(ms)) : `${bucket === "week" ? "Week of " : ""}${dateUtc(Number(ms))}`;

/**
 * The axis labels for points spanning these times: with the time when they fall within a week (scans a few hours
 * apart on one day were all labelled "4 Dec"), the day beyond that, the month beyond a year.
 */
export function timeTickFor(times: number[]): (ms: number) => string {
  const span = times.length ? (Math.max(...times) - Math.min(...times)) / 86_400_000 : null;
  return timeTick(span);
}

/**
 * Axis labels in UTC, coarse enough for the range shown. Within a week with the time ("5 Dec, 08:00"): an hour alone
 * ("5 Dec, 08") read as a day.
 */
export function timeTick(rangeDays: number | null): (ms: number) => string {
  const opts: Intl.DateTimeFormatOptions =
    rangeDays !== null && rangeDays <= 7
      ? { day: "numeric", month: "short", hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZone: "UTC" }
      : rangeDays !== null && rangeDays <= 366
        ? { day: "numeric", month: "short", timeZone: "UTC" }
        : { month: "short", year: "numeric", timeZone: "UTC" };
  const f = new Intl.DateTimeFormat("en-GB", opts);
  return (ms) => f.format(new Date(ms));
}

/**
 * A titled, fixed-height frame for a recharts chart. Recharts measures the DOM, so charts render only after
 * hydration, and then only after the page's first paint (useAfterFirstPaint); until then (and without JavaScript)
 * the frame keeps its size and shows a short text summary, so the page does not jump.
 */
import { useLocation, useNavigation } from "@remix-run/react";
import { useEffect, useRef, useState, type ReactNode } from "react";
import { answeredAhead } from "../prefetch-data";

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
 * A drawn chart, let go of while a navigation to another page waits for its data.
 *
 * Unmounting a recharts chart dispatches to its store once per axis, series and tooltip (immer copies each state):
 * ~10 ms for the overview's three charts on the 2-core host, paid in the same commit that draws the next page
 * (issue 18: leaving the overview for the users list). Once the router is loading another path, the chart's
 * current picture (its SVG, read from the page as it stands) takes its place, so the chart unmounts while the
 * browser waits for the server; the picture looks the same and goes with the page. A navigation that stays on the
 * page (a range tab: same path) or is abandoned keeps or brings back the live chart.
 */
export function ReleaseOnLeave({ children }: { children: ReactNode }) {
  const navigation = useNavigation();
  const { pathname } = useLocation();
  // Not when the next page's data is already here (asked for while the pointer rested, decision 028): the page
  // changes at once, and drawing the picture would only delay it.
  const leaving = navigation.state === "loading" && navigation.location.pathname !== pathname && !answeredAhead(navigation.location);
  const box = useRef<HTMLDivElement>(null);
  const picture = useRef<string | null>(null);
  if (!leaving) picture.current = null;
  // Read during the render that replaces the chart, i.e. before React removes it from the page.
  else if (picture.current === null) picture.current = box.current?.innerHTML ?? "";
  return leaving ? (
    <div key="picture" ref={box} data-chart-picture="" style={{ width: "100%", height: "100%" }} dangerouslySetInnerHTML={{ __html: picture.current ?? "" }} />
  ) : (
    <div key="live" ref={box} style={{ width: "100%", height: "100%" }}>
      {children}
    </div>
  );
}

export function ChartFrame({ title, summary, empty, children, testId }: { title: string; summary: string; empty?: string | null; children: () => ReactNode; testId: string }) {
  const hydrated = useAfterFirstPaint();
  return (
    <section className="panel" aria-label={title} data-testid={testId}>
      <h2 style={{ fontSize: "1rem", margin: "0 0 .5rem" }}>{title}</h2>
      <div style={{ width: "100%", height: CHART_HEIGHT }} role="img" aria-label={`${title}: ${summary}`}>
        {empty ? (
          <p className="muted">{empty}</p>
        ) : hydrated ? (
          <ReleaseOnLeave>{children()}</ReleaseOnLeave>
        ) : (
          <p className="muted small">{summary}</p>
        )}
      </div>
    </section>
  );
}

/** Axis labels in UTC, coarse enough for the range shown. */
export function timeTick(rangeDays: number | null): (ms: number) => string {
  const opts: Intl.DateTimeFormatOptions =
    rangeDays !== null && rangeDays <= 7
      ? { day: "numeric", month: "short", hour: "2-digit", timeZone: "UTC" }
      : rangeDays !== null && rangeDays <= 366
        ? { day: "numeric", month: "short", timeZone: "UTC" }
        : { month: "short", year: "numeric", timeZone: "UTC" };
  const f = new Intl.DateTimeFormat("en-GB", opts);
  return (ms) => f.format(new Date(ms));
}

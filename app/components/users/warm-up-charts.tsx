/**
 * The overview's charts drawn once off-screen with made-up data, then thrown away: called by the sign-in page while
 * the admin types (preload.ts), so that the overview after signing in draws its charts with compiled code.
 *
 * Why: the first recharts chart a page draws runs hundreds of functions for the first time (V8 compiles each on its
 * first call); on the 2-core host the overview's first chart took ~180 ms after sign-in, the next two ~60 ms each
 * (issue 18: sign-in → overview with its charts drawn). Module preloading fetches and runs the chart code's modules
 * but calls none of its functions. Nothing is shown: the box is outside the window, hidden from sight and from
 * assistive technology, and removed once drawn.
 */
import { createRoot } from "react-dom/client";
import { UserCharts } from "./UserCharts";
import type { UserSeries } from "~/services/users/series";

const DAY = 86_400_000;
let done = false;

export function warmUpCharts(): void {
  if (done || typeof document === "undefined") return;
  done = true;
  const box = document.createElement("div");
  box.setAttribute("aria-hidden", "true");
  box.setAttribute("data-chart-warm-up", "");
  box.style.cssText = "position:absolute;left:-10000px;top:0;width:640px;visibility:hidden;pointer-events:none";
  document.body.appendChild(box);
  const start = Date.now() - 30 * DAY;
  const series: UserSeries = {
    range: "30d",
    counts: Array.from({ length: 30 }, (_, i) => ({ t: start + i * DAY, total: 40 + i, deactivated: i % 3, active1d: 10 + (i % 5), active7d: 20 + (i % 7), active30d: 30 + i })),
    registrations: Array.from({ length: 30 }, (_, i) => ({ t: start + i * DAY, count: i % 4 })),
    registrationBucket: "day",
  };
  const root = createRoot(box);
  root.render(<UserCharts series={series} />);
  // The charts draw a frame after their frames are painted (ChartFrame); give them a moment, then let go.
  const until = Date.now() + 5_000;
  const check = () => {
    const frames = [...box.querySelectorAll("section[data-testid]")];
    const drawn = frames.length > 0 && frames.every((f) => f.querySelector(".recharts-wrapper > svg.recharts-surface"));
    if (!drawn && Date.now() < until) return void setTimeout(check, 100);
    root.unmount();
    // The charts' own roots are unmounted after the next paint (ChartRoot): remove the box after them.
    setTimeout(() => box.remove(), 1_000);
  };
  setTimeout(check, 100);
}

/**
 * Where a screen's time goes, from a trace written by `SCREENS_BENCH_TRACE=<dir> npm run bench -- screens`.
 *
 *   npx tsx bench/trace-summary.ts <trace.json> [--timeline]
 *
 * From the click (the first click event dispatched on the page's main thread, or a page load's navigation start) to the trace's end, it sums the main
 * thread's top-level work by kind (script, style and layout, paint, parsing, garbage collection, idle), lists the
 * network requests with their start and end relative to the click, and with --timeline prints every top-level task
 * of 1 ms or more in order. Investigation only: tracing slows the page, so its figures are not the benchmark's.
 */
import fs from "node:fs";

interface TraceEvent {
  name: string;
  cat: string;
  ph: string;
  ts: number;
  dur?: number;
  pid: number;
  tid: number;
  args?: { name?: string; data?: Record<string, unknown> };
}

const [file, flag] = process.argv.slice(2);
if (!file) {
  console.error("usage: tsx bench/trace-summary.ts <trace.json> [--timeline]");
  process.exit(2);
}
const raw = JSON.parse(fs.readFileSync(file, "utf8")) as { traceEvents: TraceEvent[] } | TraceEvent[];
const events = Array.isArray(raw) ? raw : raw.traceEvents;

const threadNames = new Map<string, string>();
for (const e of events) if (e.ph === "M" && e.name === "thread_name") threadNames.set(`${e.pid}:${e.tid}`, e.args?.name ?? "");
// A page load by URL (the cold screen) has no click: it starts at the document's navigation start, on its renderer.
const click =
  events.find((e) => e.name === "EventDispatch" && (e.args?.data as { type?: string } | undefined)?.type === "click") ??
  events.find((e) => e.name === "navigationStart" && (e.args?.data as { isLoadingMainFrame?: boolean; documentLoaderURL?: string } | undefined)?.documentLoaderURL?.startsWith("http"));
if (!click) throw new Error("no click and no page load in the trace");
const main = `${click.pid}:${click.tid}`;
const t0 = click.ts;
const ms = (us: number) => (us / 1000).toFixed(1);

// Top-level tasks on the main thread: complete events not nested in another.
const onMain = events.filter((e) => `${e.pid}:${e.tid}` === main && e.ph === "X" && e.ts >= t0 - 1000 && e.dur !== undefined).sort((a, b) => a.ts - b.ts || b.dur! - a.dur!);
const kinds: Record<string, number> = {};
const kindOf = (name: string): string => {
  if (/^(EvaluateScript|FunctionCall|v8\.|TimerFire|FireAnimationFrame|EventDispatch|RunMicrotasks|V8\.|ProfileCall|XHRReadyStateChange|ScheduledAction|MajorGC|MinorGC|v8\.compile|v8\.run)/.test(name)) return name.includes("GC") ? "gc" : "script";
  if (/^(UpdateLayoutTree|Layout|RecalculateStyles|InvalidateLayout|ScheduleStyleRecalculation|HitTest|UpdateLayer|PrePaint|IntersectionObserverController)/.test(name)) return "style+layout";
  if (/^(Paint|Commit|CompositeLayers|RasterTask|Layerize|UpdateLayerTree)/.test(name)) return "paint";
  if (/^(ParseHTML|ParseAuthorStyleSheet)/.test(name)) return "parse";
  return "other";
};
// Children are counted under their top-level task: attribute a task's whole time to the kind of its heaviest kind of
// direct work is overkill here; the task's own name is what the timeline shows, its nested events give the split.
let end = t0;
const top: TraceEvent[] = [];
for (const e of onMain) {
  if (e.ts >= end) {
    top.push(e);
    end = e.ts + e.dur!;
  }
}
const nested = (task: TraceEvent) => onMain.filter((e) => e !== task && e.ts >= task.ts && e.ts + e.dur! <= task.ts + task.dur!);
for (const task of top) {
  const inner = nested(task);
  // The kinds of the task's children at the next level (anything not covered is the task's own kind).
  let covered = 0;
  let until = task.ts;
  for (const c of inner) {
    if (c.ts < until) continue;
    const k = kindOf(c.name);
    if (k !== "other") {
      kinds[k] = (kinds[k] ?? 0) + c.dur!;
      covered += c.dur!;
      until = c.ts + c.dur!;
    }
  }
  const k = kindOf(task.name);
  kinds[k] = (kinds[k] ?? 0) + Math.max(0, task.dur! - covered);
}
const busy = top.reduce((s, e) => s + e.dur!, 0);
const span = Math.max(...top.map((e) => e.ts + e.dur!)) - t0;
console.log(`${file}\nmain thread from the click: ${ms(span)} ms spanned, ${ms(busy)} ms busy`);
for (const [k, v] of Object.entries(kinds).sort((a, b) => b[1] - a[1])) console.log(`  ${k.padEnd(14)} ${ms(v).padStart(7)} ms`);

// Network requests (the renderer's view).
const sends = events.filter((e) => e.name === "ResourceSendRequest");
const finishes = new Map(events.filter((e) => e.name === "ResourceFinish").map((e) => [(e.args?.data as { requestId: string }).requestId, e]));
const receives = new Map(events.filter((e) => e.name === "ResourceReceiveResponse").map((e) => [(e.args?.data as { requestId: string }).requestId, e]));
console.log("requests (start → headers → end, ms from the click):");
for (const s of sends.filter((e) => e.ts >= t0 - 1000).sort((a, b) => a.ts - b.ts)) {
  const d = s.args!.data as { requestId: string; url: string };
  const r = receives.get(d.requestId);
  const f = finishes.get(d.requestId);
  console.log(`  ${ms(s.ts - t0).padStart(7)} → ${r ? ms(r.ts - t0).padStart(7) : "      ?"} → ${f ? ms(f.ts - t0).padStart(7) : "      ?"}  ${d.url.replace(/^https?:\/\/[^/]+/, "")}`);
}

if (flag === "--timeline") {
  console.log("top-level tasks ≥ 1 ms:");
  for (const e of top.filter((e) => e.dur! >= 1000)) {
    const inner = nested(e).filter((c) => c.dur! >= 1000 && kindOf(c.name) !== "other");
    const summary = [...new Set(inner.map((c) => c.name))].slice(0, 6).join(", ");
    console.log(`  ${ms(e.ts - t0).padStart(7)} +${ms(e.dur!).padStart(6)}  ${e.name}${summary ? ` (${summary})` : ""}`);
  }
}

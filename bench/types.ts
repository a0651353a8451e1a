import fs from "node:fs";

/** One measured figure for BENCHMARKS.md. */
export interface BenchResult {
  name: string;
  value: number;
  unit: string;
  /** The target from the issue, e.g. "≤ 3 s". */
  target?: string;
  /** Whether the figure meets the target (when one is given). */
  ok?: boolean;
  note?: string;
}

export type BenchScenario = () => Promise<BenchResult[]>;

/**
 * This process's peak resident memory in MB: VmHWM, which is the process's own. Not `resourceUsage().maxRSS`: Linux
 * carries the parent's resident size at the moment of spawning into a child's maxRSS (the forked image is accounted
 * before exec), so a child spawned by a benchmark parent holding 100,000 simulated users "peaked" at the parent's size.
 */
export function peakRssMb(): number {
  try {
    return procMemoryMb("self", "VmHWM");
  } catch {
    return process.resourceUsage().maxRSS / 1024; // not Linux
  }
}

/** A process's resident memory now (VmRSS) or its peak so far (VmHWM), in MB, from /proc (Linux). */
export function procMemoryMb(pid: number | "self", field: "VmRSS" | "VmHWM"): number {
  const m = new RegExp(`${field}:\\s+(\\d+)`).exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"));
  if (!m) throw new Error(`no ${field} in /proc/${pid}/status`);
  return Number(m[1]) / 1024;
}

/** Percentile of a list of numbers (nearest-rank). */
export function percentile(values: number[], p: number): number {
  if (!values.length) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank];
}

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

/** Percentile of a list of numbers (nearest-rank). */
export function percentile(values: number[], p: number): number {
  if (!values.length) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank];
}

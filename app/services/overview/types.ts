/** The overview's card shapes: built by the KPI providers on the server, drawn by components/KpiCards.tsx. */

export interface Kpi {
  /** Stable id, e.g. "users.total"; matches a KPI_SLOTS id to take that place. */
  id: string;
  label: string;
  /** Null when unknown: then `unavailable` says why (shown instead of a misleading 0). */
  value: number | null;
  unavailable?: string;
  /** Change against a week ago; null when there is nothing to compare with. */
  delta?: number | null;
  /**
   * When the value the delta compares with was observed. One rule for every card (loadKpis applies it): a delta
   * whose comparison point is missing or less than a week old is dropped, and the card says "no data from a week
   * ago" — 25 minutes of history is not "vs a week ago".
   */
  comparedAt?: string | Date | null;
  /** Which direction of change is good news (colours the delta). */
  better?: "up" | "down" | "neither";
  /** Where the card links to for details. */
  href?: string;
  /** A short line under the value (e.g. "of 1,204 accounts"). */
  hint?: string;
}

export interface KpiCard extends Kpi {
  /** The slot is promised but no provider reports it (yet). */
  placeholder?: boolean;
  error?: string;
}

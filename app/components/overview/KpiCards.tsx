/** The overview's KPI cards: value, change against a week ago, or why the value is not available. */
import { Link } from "@remix-run/react";
import type { KpiCard } from "~/services/overview/types";

const fmt = new Intl.NumberFormat("en-GB");

function Delta({ card }: { card: KpiCard }) {
  if (card.delta === undefined) return null;
  if (card.delta === null) return <div className="delta">no data from a week ago</div>;
  const sign = card.delta > 0 ? "+" : card.delta < 0 ? "−" : "±";
  const good = card.better === "up" ? card.delta > 0 : card.better === "down" ? card.delta < 0 : null;
  const colour = card.delta === 0 || good === null ? undefined : good ? "var(--ok)" : "var(--bad)";
  return (
    <div className="delta" style={colour ? { color: colour } : undefined}>
      {sign}
      {fmt.format(Math.abs(card.delta))} vs a week ago
    </div>
  );
}

export function KpiCards({ cards }: { cards: KpiCard[] }) {
  return (
    <div className="cards" data-testid="kpi-cards">
      {cards.map((c) => (
        <div className="card" key={c.id} data-kpi={c.id}>
          <div className="label">{c.href && !c.placeholder ? <Link to={c.href}>{c.label}</Link> : c.label}</div>
          {c.error ? (
            <div className="small" style={{ color: "var(--bad)" }}>
              {c.error}
            </div>
          ) : c.placeholder ? (
            <>
              <div className="value muted">—</div>
              <div className="delta">not reported yet</div>
            </>
          ) : c.value === null ? (
            <>
              <div className="value muted">n/a</div>
              <div className="delta">{c.unavailable}</div>
            </>
          ) : (
            <>
              <div className="value">{fmt.format(c.value)}</div>
              <Delta card={c} />
            </>
          )}
          {c.hint ? <div className="delta">{c.hint}</div> : null}
        </div>
      ))}
    </div>
  );
}

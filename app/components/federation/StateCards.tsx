/** Counts per state as cards; each links to the table filtered to that state. */
import { Link } from "@remix-run/react";
import { STATE_ORDER, STATE_TEXT, type DestinationStateName } from "./states";

export function StateCards({ counts, active }: { counts: Record<DestinationStateName, number>; active?: string }) {
  return (
    <div className="cards" data-testid="state-cards">
      {STATE_ORDER.map((s) => (
        <Link key={s} to={active === s ? "/federation" : `/federation?state=${s}`} className="card" style={{ textDecoration: "none", outline: active === s ? `2px solid ${STATE_TEXT[s].color}` : undefined }} data-testid={`count-${s}`}>
          <div className="value" style={{ color: STATE_TEXT[s].color }}>
            {counts[s].toLocaleString("en")}
          </div>
          <div className="label">{STATE_TEXT[s].label}</div>
          <div className="delta">{STATE_TEXT[s].hint}</div>
        </Link>
      ))}
    </div>
  );
}

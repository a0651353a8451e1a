import { STATE_TEXT, type DestinationStateName } from "./states";

export function StateBadge({ state }: { state: string }) {
  const t = STATE_TEXT[state as DestinationStateName];
  if (!t) return <span className="badge">{state}</span>;
  return (
    <span className={`badge ${t.badge}`} title={t.hint} data-state={state}>
      {t.label}
    </span>
  );
}

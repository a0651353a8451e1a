/**
 * Before a report's first collection has finished, the page would stay empty until the admin thought of reloading
 * it (issue 14, item 26). This notice says a collection is on its way and, with JavaScript, watches the collector's
 * status route (react-query, every 2 s) and reloads the page's data once a run has succeeded; then it stops asking.
 * Without JavaScript it says to reload. Renders nothing once the report has data.
 */
import { useRevalidator } from "@remix-run/react";
import { useQuery } from "@tanstack/react-query";
import { useEffect } from "react";
import type { Freshness } from "~/services/collectors/freshness";
import { useHydrated } from "../charts/ChartFrame";

interface StatusResponse {
  run: { status: string } | null;
  lastSuccessAt: string | null;
  waiting: string | null;
}

export function FirstCollection({ freshness: f }: { freshness: Freshness }) {
  const hydrated = useHydrated();
  const revalidator = useRevalidator();
  const waitingForFirst = !f.lastSuccessAt;
  const status = useQuery({
    queryKey: ["collector", f.collector, "first"],
    queryFn: async (): Promise<StatusResponse> => {
      const res = await fetch(`/api/collectors/${encodeURIComponent(f.collector)}`, { headers: { Accept: "application/json" } });
      if (!res.ok) throw new Error(`Status unavailable (${res.status})`);
      return res.json();
    },
    enabled: waitingForFirst,
    // Until a success is seen; the loader's data then has it and `enabled` turns false.
    refetchInterval: (q) => (q.state.data?.lastSuccessAt ? false : 2000),
  });
  const done = status.data?.lastSuccessAt ?? null;
  useEffect(() => {
    if (waitingForFirst && done && revalidator.state === "idle") revalidator.revalidate();
  }, [waitingForFirst, done, revalidator]);

  if (!waitingForFirst) return null;
  const running = status.data ? status.data.run?.status === "running" : f.running;
  const waiting = status.data ? status.data.waiting : f.waiting;
  return (
    <div className="alert info" role="status" aria-live="polite" data-testid="first-collection">
      <strong>{waiting ? `No ${f.title.toLowerCase()} collected yet.` : running ? `Collecting ${f.title.toLowerCase()} for the first time…` : `${f.title} have not been collected yet.`}</strong>{" "}
      {waiting ? `${waiting} ` : null}
      {hydrated ? "This page fills in by itself when the first collection finishes." : "Reload this page when the first collection has finished (it usually takes under a minute)."}
    </div>
  );
}

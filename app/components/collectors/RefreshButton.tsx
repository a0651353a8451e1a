/**
 * "Refresh now" for a collector: starts a run and shows live progress (react-query polls the collector's status
 * route while it runs), then reloads the page's data. Without JavaScript it is a plain form post.
 */
import { useRevalidator } from "@remix-run/react";
import { useMutation, useQuery } from "@tanstack/react-query";
import { useEffect, useRef, useState } from "react";
import { useShellData } from "../CsrfInput";

interface StatusResponse {
  collector: string;
  title: string;
  run: { id: number; status: string; items: number; total: number | null; error: string | null; startedAt: string; finishedAt: string | null } | null;
  lastSuccessAt: string | null;
  waiting: string | null;
}

/** What a finished run did, in words (issue 14, item 12: not "Updated: 41 items."). */
const DONE: Record<string, (n: number) => string> = {
  "user-counts": (n) => `Done: ${plural(n, "account")} counted.`,
  // Every account but guests is checked; the report's cards count people only (deactivated accounts and bots are
  // left out unless included), so "39 users scanned" beside "of 33 users" read as a contradiction.
  posture: (n) => `Done: ${plural(n, "account")} checked (deactivated ones and bots too).`,
  federation: (n) => `Done: ${plural(n, "destination")} read.`,
  "self-check": () => "Done: the self-check ran.",
  tokens: (n) => `Done: ${plural(n, "registration token")} read.`,
};
const plural = (n: number, noun: string) => `${n.toLocaleString("en")} ${noun}${n === 1 ? "" : "s"}`;

export function finishedText(collector: string, title: string, items: number): string {
  return DONE[collector]?.(items) ?? `Done: ${title.toLowerCase()} updated.`;
}

export function RefreshButton({ collector, label = "Refresh now" }: { collector: string; label?: string }) {
  const { csrfToken } = useShellData();
  const revalidator = useRevalidator();
  const [message, setMessage] = useState<string | null>(null);
  const wasRunning = useRef(false);
  const url = `/api/collectors/${encodeURIComponent(collector)}`;
  const status = useQuery({
    queryKey: ["collector", collector],
    queryFn: async (): Promise<StatusResponse> => {
      const res = await fetch(url, { headers: { Accept: "application/json" } });
      if (!res.ok) throw new Error(`Status unavailable (${res.status})`);
      return res.json();
    },
    // A quarter of a second while a run is going: the list reloads that much sooner after it ends (a 1 s poll left
    // half a second on average between the run's end and the reload; issue 18's "Refresh now" within 5 s).
    refetchInterval: (q) => (q.state.data?.run?.status === "running" ? 250 : false),
    // Moving to another page with the same collector's button does not ask again within 15 s (one request per
    // navigation; issue 18). A run started here is polled every second regardless.
    staleTime: 15_000,
  });
  const start = useMutation({
    mutationFn: async () => {
      const res = await fetch(url, { method: "POST", headers: { Accept: "application/json", "X-CSRF-Token": csrfToken } });
      const body = (await res.json().catch(() => ({}))) as { error?: string; runId?: number };
      if (!res.ok) throw new Error(body.error ?? `Could not start (${res.status})`);
      return body;
    },
    onMutate: () => setMessage(null),
    onSuccess: () => void status.refetch(),
    onError: (e) => setMessage((e as Error).message),
  });

  const run = status.data?.run;
  const running = run?.status === "running";
  useEffect(() => {
    if (wasRunning.current && !running && run) {
      setMessage(run.status === "ok" ? finishedText(collector, status.data?.title ?? collector, run.items) : `Failed: ${run.error ?? run.status}`);
      revalidator.revalidate();
    }
    wasRunning.current = running;
  }, [running, run, revalidator]);

  const pct = run && run.total ? Math.min(100, Math.round((run.items / run.total) * 100)) : null;
  return (
    <form method="post" action={url} className="refresh" onSubmit={(e) => (e.preventDefault(), start.mutate())} data-testid={`refresh-${collector}`}>
      <input type="hidden" name="csrf" value={csrfToken} />
      <button type="submit" className="secondary" disabled={running || start.isPending}>
        {running ? "Collecting…" : label}
      </button>
      {running ? (
        <div className="small muted" aria-live="polite">
          <div className="progress" role="progressbar" aria-valuemin={0} aria-valuemax={100} aria-valuenow={pct ?? undefined}>
            <div style={{ width: `${pct ?? 5}%` }} />
          </div>
          {run!.items.toLocaleString("en")}
          {run!.total ? ` of ${run!.total.toLocaleString("en")}` : ""} done
        </div>
      ) : null}
      {message ? (
        <div className="small" role="status">
          {message}
        </div>
      ) : null}
      {status.data?.waiting && !running ? <div className="small muted">{status.data.waiting}</div> : null}
    </form>
  );
}

/** One destination: its state now, its timeline of state changes, the rooms shared with it (and which wait), and "Reset connection". */
import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { json } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { z } from "zod";
import { CsrfInput } from "~/components/CsrfInput";
import { Time } from "~/components/Time";
import { Ago } from "~/components/federation/Ago";
import { checkedParam, isServerName } from "~/services/routing/params";
import { StateBadge } from "~/components/federation/StateBadge";
import { formatDuration } from "~/components/federation/states";
import { describeHomeserverError } from "~/homeserver/errors";
import { destinationTimeline, getDestination, resetConnection, resetUnavailableReason, RESET_RETRY_TEXT } from "~/services/federation/destinations.server";
import { sharedRooms, type SharedRoomsPage } from "~/services/federation/rooms.server";
import { readForm, requireAdmin, requireCsrf, withHomeserver } from "~/services/auth/guard.server";
import { prefetchedLoader } from "~/components/prefetch-data";

export const meta: MetaFunction<typeof loader> = ({ data }) => [{ title: `${data?.destination ?? "Destination"} · Federation · Steward` }];

const ROOMS_PAGE = 50;
// Built per request, not at the top level, so zod stays out of the page's browser scripts (decision 038).
const querySchema = () =>
  z.object({
    roomsFrom: z.coerce.number().int().min(0).max(10_000_000).catch(0),
    confirm: z.literal("reset").optional().catch(undefined),
  });

/** A destination is a server name; anything else is a 404 before any query (issue 14, item 18). */
const destinationParam = (params: Record<string, string | undefined>) => checkedParam(params.destination, isServerName, "destination (not a server name)");

export async function loader(args: LoaderFunctionArgs) {
  const destination = destinationParam(args.params);
  const admin = await requireAdmin(args);
  const q = querySchema().parse(Object.fromEntries(new URL(args.request.url).searchParams));
  const now = Date.now();
  const [view, timeline] = await Promise.all([getDestination(admin.steward.db, destination, now), destinationTimeline(admin.steward.db, destination)]);
  // Rooms are read live from the homeserver (they are not part of the snapshots); a failure is shown, not fatal.
  let rooms: SharedRoomsPage | null = null;
  let roomsError: string | null = null;
  try {
    rooms = await withHomeserver(admin, args, () => sharedRooms(admin.hs, destination, { from: q.roomsFrom, limit: ROOMS_PAGE }));
  } catch (e) {
    if (e instanceof Response) throw e;
    roomsError = describeHomeserverError(e);
  }
  return json({ now, destination, view, timeline, rooms, roomsError, resetBlocked: resetUnavailableReason(view), confirm: q.confirm === "reset", retryText: RESET_RETRY_TEXT });
}

export async function action(args: ActionFunctionArgs) {
  const destination = destinationParam(args.params);
  const admin = await requireAdmin(args);
  const form = await readForm(args.request);
  requireCsrf(args.request, admin.session, form);
  if (form.get("intent") !== "reset") return json({ ok: false as const, message: "Unknown action." }, { status: 400 });
  const outcome = await withHomeserver(admin, args, () =>
    resetConnection({ db: admin.steward.db, hs: admin.hs, now: () => new Date() }, destination, { actor: admin.session.userId, requestId: admin.requestId }),
  );
  return outcome.ok
    ? json({ ok: true as const, message: `The connection to ${destination} was reset. ${RESET_RETRY_TEXT}` })
    : json({ ok: false as const, message: outcome.message }, { status: 400 });
}

/** Takes the answer asked for while the pointer rested on a link here (decision 028). */
export const clientLoader = prefetchedLoader;

export default function DestinationPage() {
  const d = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const busy = useNavigation().state === "submitting";
  const self = `/federation/${encodeURIComponent(d.destination)}`;
  const v = d.view;
  return (
    <>
      <p className="small">
        <Link to="/federation">← Federation</Link>
      </p>
      <h1 className="mono">{d.destination}</h1>
      {result ? (
        <div className={`alert ${result.ok ? "ok" : "error"}`} role="status">
          {result.message}
        </div>
      ) : null}

      <section className="panel" data-testid="destination-state">
        {v ? (
          <dl>
            <dt>State</dt>
            <dd>
              {v.resetNotRetriedSince ? (
                <span className="badge info" data-state="reset" title="Steward reset the connection; no collection has seen Synapse try this server since.">
                  Reset, not yet retried
                </span>
              ) : (
                <StateBadge state={v.state} />
              )}
              {v.resetNotRetriedSince ? (
                <span className="small muted">
                  {" "}
                  reset <Time value={v.resetNotRetriedSince} />; the next collection that sees an attempt shows how it went.
                </span>
              ) : null}
            </dd>
            <dt>Failing since</dt>
            <dd>{v.failingSince ? <Time value={v.failingSince} /> : "—"}</dd>
            <dt>Current retry interval</dt>
            <dd>{v.retryInterval ? formatDuration(v.retryInterval) : "—"}</dd>
            <dt>Next retry</dt>
            <dd>{v.nextRetryAt ? <Ago ms={v.nextRetryAt} now={d.now} tense="future" /> : v.state === "retry_due" ? "with the next event Synapse sends there" : "—"}</dd>
            <dt>Last failed attempt</dt>
            <dd>{v.retryLastTs ? <Time value={v.retryLastTs} /> : "—"}</dd>
            <dt>Last PDU sent (stream ordering)</dt>
            <dd>{v.lastSuccessfulStreamOrdering ?? "not tracked"}</dd>
          </dl>
        ) : (
          <p className="muted">Steward has not collected this destination (yet). Rooms below come straight from the homeserver.</p>
        )}
      </section>

      <section className="panel">
        <h2>Reset connection</h2>
        <p className="small muted">Clears Synapse's backoff instead of waiting out the retry interval. {d.retryText}</p>
        {d.resetBlocked ? (
          <>
            <button type="button" disabled aria-describedby="reset-why">
              Reset connection
            </button>
            <p id="reset-why" className="small muted">
              {d.resetBlocked}
            </p>
          </>
        ) : d.confirm && !result?.ok ? (
          <Form method="post" action={self} className="alert warn">
            <CsrfInput />
            <input type="hidden" name="intent" value="reset" />
            <p>
              Reset the connection to <strong className="mono">{d.destination}</strong>? {d.retryText} The action is recorded in the audit
              log.
            </p>
            <button type="submit" disabled={busy}>
              {busy ? "Resetting…" : "Yes, reset the connection"}
            </button>{" "}
            <Link to={self}>Cancel</Link>
          </Form>
        ) : (
          <Link to={`${self}?confirm=reset`} className="button secondary">
            Reset connection…
          </Link>
        )}
      </section>

      <section className="panel">
        <h2>Timeline</h2>
        {d.timeline.length === 0 ? (
          <p className="muted">No state changes recorded.</p>
        ) : (
          <table data-testid="timeline">
            <thead>
              <tr>
                <th>When</th>
                <th>Change</th>
                <th>Interval then</th>
                <th>By</th>
              </tr>
            </thead>
            <tbody>
              {d.timeline.map((t, i) => (
                <tr key={i}>
                  <td>
                    <Time value={t.at} />
                  </td>
                  <td>
                    {t.fromState ? <StateBadge state={t.fromState} /> : <span className="muted">first seen</span>} →{" "}
                    {t.source === "reset" && t.toState === "healthy" ? <span className="badge info">Reset (backoff cleared)</span> : <StateBadge state={t.toState} />}
                  </td>
                  <td>{t.retryInterval ? formatDuration(t.retryInterval) : "—"}</td>
                  <td className="small">{t.source === "reset" ? "reset from Steward" : "collector"}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>

      <SharedRoomsSection d={d} self={self} />
    </>
  );
}

function SharedRoomsSection({ d, self }: { d: { destination: string; rooms: SharedRoomsPage | null; roomsError: string | null }; self: string }) {
  const r = d.rooms;
  const waiting = r ? r.rows.filter((x) => x.status === "waiting").length : 0;
  return (
    <section className="panel">
      <h2>Rooms shared with this server</h2>
      {d.roomsError ? (
        <div className="alert error" role="alert">
          {d.roomsError}
        </div>
      ) : r && r.rows.length ? (
        <>
          <p className="small muted" data-testid="rooms-summary">
            {r.lastSuccessfulStreamOrdering === null
              ? "Synapse does not track what this server has received, so Steward cannot tell which rooms are waiting."
              : waiting
                ? `${waiting} of ${r.rows.length} room${r.rows.length === 1 ? "" : "s"}${r.total > r.rows.length ? " on this page" : ""} ${waiting === 1 ? "has" : "have"} events this server has not received yet.`
                : `This server has received every event of ${r.rows.length === 1 ? "this room" : `these ${r.rows.length} rooms`}: nothing is waiting.`}
          </p>
          {r.namesError ? (
            <div className="alert warn" role="alert">
              Room names could not be read: {r.namesError}
            </div>
          ) : null}
          <table data-testid="rooms">
            <thead>
              <tr>
                <th scope="col">Room</th>
                <th scope="col">Waiting?</th>
                <th scope="col" className="num">
                  Newest event to send
                </th>
              </tr>
            </thead>
            <tbody>
              {r.rows.map((x) => (
                <tr key={x.roomId} data-room={x.roomId} data-status={x.status}>
                  <td>
                    {x.name ? (
                      <bdi>{x.name}</bdi>
                    ) : x.alias ? (
                      <bdi className="mono">{x.alias}</bdi>
                    ) : (
                      <span className="muted">Unnamed room</span>
                    )}
                    <div className="small muted mono">{x.roomId}</div>
                  </td>
                  <td>
                    {x.status === "waiting" ? (
                      <span className="badge warn">Waiting</span>
                    ) : x.status === "up_to_date" ? (
                      <span className="badge ok">Up to date</span>
                    ) : (
                      <span className="badge">Not tracked</span>
                    )}
                  </td>
                  <td className="num">{x.streamOrdering}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <p className="small muted">
            “Newest event to send” is Synapse's stream ordering; a room waits when it is above the last event this server took
            {r.lastSuccessfulStreamOrdering !== null ? ` (${r.lastSuccessfulStreamOrdering})` : ""}.
          </p>
          <nav className="pager" aria-label="Rooms pages">
            {r.from > 0 ? <Link to={`${self}?roomsFrom=${Math.max(0, r.from - ROOMS_PAGE)}`}>← Previous</Link> : null}
            <span className="muted small">
              {r.from + 1}–{r.from + r.rows.length} of {r.total}
            </span>
            {r.from + ROOMS_PAGE < r.total ? <Link to={`${self}?roomsFrom=${r.from + ROOMS_PAGE}`}>Next →</Link> : null}
          </nav>
        </>
      ) : (
        <p className="muted">{r && r.from > 0 ? "No rooms on this page." : `No rooms are shared with ${d.destination}.`}</p>
      )}
    </section>
  );
}

/**
 * Nudge: selected users (or everyone in a report filter) → a message template (editable) → preview and count →
 * send as server notices. The batch id is minted when the page is shown and travels with the form, so submitting
 * the same form twice (or again after a crash) reuses the same txnIds and never sends a notice twice.
 */
import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { json, redirect } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { CsrfInput } from "~/components/CsrfInput";
import { readForm, requireAdmin, requireCsrf, withHomeserver, type AdminRequest } from "~/services/auth/guard.server";
import { DEFAULT_TEMPLATES, newBatchId, recentlyNudged, renderNudge, sendNudges, templateProblems, type NudgeOutcome } from "~/services/posture/nudge.server";
import { filterParams, parsePostureQuery } from "~/services/posture/query.server";
import { latestCompleteScan, nudgeCandidates, userIdsForFilter } from "~/services/posture/report.server";

export const meta: MetaFunction = () => [{ title: "Nudge users · Security · Steward" }];

const MAX_USERS = 10_000;
const COOLDOWN_DAYS = 7;
const MXID = /^@[^:\s]+:[^\s]+$/;

interface Selection {
  /** Who the nudge goes to: users missing at least one check, not deactivated. */
  userIds: string[];
  /** Their names (from the latest scan), in the same order. */
  names: Array<{ userId: string; displayname: string | null }>;
  /** Selected users a nudge does not go to, and why. */
  leftOut: Array<{ userId: string; reason: string }>;
  all: boolean;
  filter: string;
  /** Nothing was picked (and not "everyone in the filter"). */
  empty: boolean;
  error?: string;
}

/**
 * The selection: explicit `user` values, or `all=1` with the report's filter parameters. Either way a nudge goes
 * only to users the latest scan found missing something; the others are listed as left out.
 */
async function resolveSelection(admin: AdminRequest, params: URLSearchParams): Promise<Selection> {
  const all = params.get("all") === "1";
  const { query } = parsePostureQuery(params);
  const filter = filterParams(query).toString();
  const none: Selection = { userIds: [], names: [], leftOut: [], all, filter, empty: false };
  const picked = all ? [] : [...new Set(params.getAll("user").map((u) => u.trim()).filter(Boolean))];
  if (!all && picked.length === 0) return { ...none, empty: true };
  const scan = await latestCompleteScan(admin.steward.db);
  if (!scan) return { ...none, error: "There is no complete scan yet, so Steward does not know who is missing something. Run a scan first." };
  if (all) {
    const userIds = await userIdsForFilter(admin.steward.db, scan.id, query, MAX_USERS + 1, { nudgeable: true });
    if (userIds.length > MAX_USERS) return { ...none, error: `This filter matches more than ${MAX_USERS.toLocaleString("en")} users; narrow it down.` };
    const names = (await nudgeCandidates(admin.steward.db, scan.id, userIds)).map(({ userId, displayname }) => ({ userId, displayname }));
    return { ...none, userIds, names };
  }
  const server = admin.session.userId.slice(admin.session.userId.indexOf(":") + 1);
  const bad = picked.filter((u) => !MXID.test(u) || u.slice(u.indexOf(":") + 1) !== server);
  if (bad.length) return { ...none, error: `Not local user ids: ${bad.slice(0, 3).join(", ")}${bad.length > 3 ? "…" : ""}` };
  if (picked.length > MAX_USERS) return { ...none, error: `Select at most ${MAX_USERS.toLocaleString("en")} users.` };
  const candidates = await nudgeCandidates(admin.steward.db, scan.id, picked);
  const ok = candidates.filter((c) => c.nudgeable);
  return {
    ...none,
    userIds: ok.map((c) => c.userId),
    names: ok.map(({ userId, displayname }) => ({ userId, displayname })),
    leftOut: candidates.filter((c) => !c.nudgeable).map((c) => ({ userId: c.userId, reason: c.reason ?? "" })),
  };
}

export async function loader(args: LoaderFunctionArgs) {
  const admin = await requireAdmin(args);
  const params = new URL(args.request.url).searchParams;
  const sel = await resolveSelection(admin, params);
  // "Nudge selected users" with nothing ticked: back to the report, which says so (with and without JavaScript).
  if (sel.empty) throw redirect(`/security?${sel.filter ? `${sel.filter}&` : ""}nudge=none#nudge-selection`);
  const template = DEFAULT_TEMPLATES.find((t) => t.id === params.get("template")) ?? DEFAULT_TEMPLATES[0];
  const recent = await recentlyNudged(admin.steward.db, sel.userIds, new Date(Date.now() - COOLDOWN_DAYS * 86_400_000));
  return json({
    ...sel,
    recent: recent.size,
    templates: DEFAULT_TEMPLATES.map(({ id, title }) => ({ id, title })),
    template,
    batchId: newBatchId(),
    adminContact: admin.steward.config.adminContact ?? null,
    selectionQs: sel.all ? `${sel.filter ? `${sel.filter}&` : ""}all=1` : [...sel.userIds, ...sel.leftOut.map((l) => l.userId)].map((u) => `user=${encodeURIComponent(u)}`).join("&"),
    recentIds: [...recent],
  });
}

type ActionData =
  | { step: "preview"; body: string; sample: string; sampleUser: string; count: number; recent: number; templateId: string; batchId: string }
  | { step: "sent"; outcome: NudgeOutcome }
  | { step: "error"; errors: { body?: string; form?: string }; body: string };

export async function action(args: ActionFunctionArgs) {
  const admin = await requireAdmin(args);
  const form = await readForm(args.request);
  requireCsrf(args.request, admin.session, form);
  const body = String(form.get("body") ?? "");
  const templateId = String(form.get("templateId") ?? "");
  const batchId = String(form.get("batchId") ?? "");
  const sel = await resolveSelection(admin, new URLSearchParams(String(form.get("selection") ?? "")));
  const problems = templateProblems(body);
  if (problems.length || sel.error || !sel.userIds.length || !/^[A-Za-z0-9_-]{8,64}$/.test(batchId)) {
    return json<ActionData>(
      {
        step: "error",
        body,
        errors: {
          ...(problems.length ? { body: problems.join(" ") } : {}),
          ...(sel.error ? { form: sel.error } : !sel.userIds.length ? { form: "No users selected." } : !/^[A-Za-z0-9_-]{8,64}$/.test(batchId) ? { form: "This form is incomplete; reload the page." } : {}),
        },
      },
      { status: 400 },
    );
  }
  const adminContact = admin.steward.config.adminContact;
  if (form.get("intent") !== "send") {
    const recent = await recentlyNudged(admin.steward.db, sel.userIds, new Date(Date.now() - COOLDOWN_DAYS * 86_400_000), batchId);
    const sampleUser = sel.userIds.find((u) => !recent.has(u)) ?? sel.userIds[0];
    return json<ActionData>({ step: "preview", body, sample: renderNudge(body, { userId: sampleUser, adminContact }), sampleUser, count: sel.userIds.length - recent.size, recent: recent.size, templateId, batchId });
  }
  const outcome = await withHomeserver(admin, args, () =>
    sendNudges(admin.steward.db, admin.hs, {
      batchId,
      actor: admin.session.userId,
      userIds: sel.userIds,
      body,
      templateId: templateId || undefined,
      adminContact,
      now: new Date(),
      cooldownDays: COOLDOWN_DAYS,
      requestId: admin.requestId,
    }),
  );
  return json<ActionData>({ step: "sent", outcome });
}

export default function NudgePage() {
  const d = useLoaderData<typeof loader>();
  const a = useActionData<typeof action>() as ActionData | undefined;
  const busy = useNavigation().state === "submitting";
  const body = a && a.step !== "sent" ? a.body : d.template.body;
  return (
    <>
      <p className="small">
        <Link to={`/security${d.filter ? `?${d.filter}` : ""}`}>← Security report</Link>
      </p>
      <h1>Nudge users</h1>
      {d.error ? (
        <div className="alert error" role="alert">
          {d.error}
        </div>
      ) : a?.step === "sent" ? null : (
        <Recipients d={d} />
      )}
      {a?.step === "sent" ? (
        <NudgeResults outcome={a.outcome} />
      ) : (
        <Form method="post" aria-label="Nudge message">
          <CsrfInput />
          <input type="hidden" name="selection" value={d.selectionQs} />
          <input type="hidden" name="batchId" value={a?.step === "preview" ? a.batchId : d.batchId} />
          <input type="hidden" name="templateId" value={d.template.id} />
          <p className="small">
            Template:{" "}
            {d.templates.map((t) => (
              <Link key={t.id} to={`?${d.selectionQs}&template=${t.id}`} aria-current={t.id === d.template.id ? "true" : undefined} style={{ marginRight: ".75rem" }}>
                {t.title}
              </Link>
            ))}
          </p>
          <div className="field">
            <label htmlFor="nudge-body">Message</label>
            <textarea
              id="nudge-body"
              name="body"
              rows={14}
              cols={90}
              defaultValue={body}
              key={body}
              aria-invalid={a?.step === "error" && a.errors.body ? true : undefined}
              aria-describedby="nudge-body-hint nudge-body-error"
            />
            <div className="field-hint" id="nudge-body-hint">
              Placeholders: {"{user_id}"} (the user's id), {"{admin_contact}"} ({d.adminContact ?? "not set: ADMIN_CONTACT, shown as “your server admin”"}).
            </div>
            {a?.step === "error" && a.errors.body ? (
              <div className="field-error" id="nudge-body-error">
                {a.errors.body}
              </div>
            ) : null}
          </div>
          {a?.step === "error" && a.errors.form ? (
            <div className="alert error" role="alert">
              {a.errors.form}
            </div>
          ) : null}
          {a?.step === "preview" ? (
            <section className="panel" data-testid="nudge-preview">
              <h2>Preview for {a.sampleUser}</h2>
              <pre style={{ whiteSpace: "pre-wrap" }}>{a.sample}</pre>
              <p>
                <strong>{a.count.toLocaleString("en")}</strong> server notice{a.count === 1 ? "" : "s"} will be sent
                {a.recent ? ` (${a.recent} skipped: nudged in the last ${COOLDOWN_DAYS} days)` : ""}.
              </p>
              <button type="submit" name="intent" value="send" disabled={busy || a.count === 0}>
                {busy ? "Sending…" : `Send ${a.count.toLocaleString("en")} notice${a.count === 1 ? "" : "s"}`}
              </button>{" "}
            </section>
          ) : null}
          <button type="submit" name="intent" value="preview" className="secondary" disabled={busy || Boolean(d.error) || d.userIds.length === 0}>
            Preview
          </button>
        </Form>
      )}
    </>
  );
}

function NudgeResults({ outcome }: { outcome: NudgeOutcome }) {
  return (
    <section data-testid="nudge-results">
      {outcome.fatal ? (
        <div className="alert error" role="alert">
          {outcome.fatal}
        </div>
      ) : (
        <div className={`alert ${outcome.failed ? "warn" : "ok"}`} role="status">
          {outcomeSentence(outcome)}
        </div>
      )}
      <table>
        <thead>
          <tr>
            <th scope="col">User</th>
            <th scope="col">Result</th>
          </tr>
        </thead>
        <tbody>
          {outcome.results.map((r) => (
            <tr key={r.userId} data-user={r.userId} data-result={r.status}>
              <td>
                <bdi>{r.userId}</bdi>
              </td>
              <td>
                {r.status === "sent" ? (
                  <span className="badge ok">{r.repeated ? "already sent" : "sent"}</span>
                ) : r.status === "skipped" ? (
                  <span className="badge">skipped: {r.reason}</span>
                ) : (
                  <span className="badge bad">failed: {r.error}</span>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

const plural = (n: number, one: string, many: string) => `${n.toLocaleString("en")} ${n === 1 ? one : many}`;

/** What happened, in one sentence that agrees with the table below it. */
function outcomeSentence(o: { sent: number; skipped: number; failed: number }): string {
  const parts = [o.sent ? `Sent ${plural(o.sent, "server notice", "server notices")}` : "No notice was sent"];
  if (o.skipped) parts.push(`${plural(o.skipped, "user was", "users were")} skipped (already nudged in the last ${COOLDOWN_DAYS} days)`);
  if (o.failed) parts.push(`${plural(o.failed, "notice", "notices")} failed (see below)`);
  return `${parts.join("; ")}.`;
}

const SHOWN = 200;

/** Who the nudge goes to, by name, and who of the selection it leaves out (and why). */
function Recipients({ d }: { d: { names: Array<{ userId: string; displayname: string | null }>; leftOut: Array<{ userId: string; reason: string }>; all: boolean; recentIds: string[] } }) {
  const recent = new Set(d.recentIds);
  return (
    <section data-testid="nudge-selection">
      <p data-testid="nudge-count">
        {d.names.length
          ? `The nudge goes to ${plural(d.names.length, "user", "users")}${d.all ? " in the filter who are missing something" : ""}` +
            `${recent.size ? `; ${plural(recent.size, "of them was", "of them were")} nudged in the last ${COOLDOWN_DAYS} days and will be skipped` : ""}.`
          : "No one in this selection is missing anything: there is no one to nudge."}
      </p>
      {d.names.length ? (
        <ul className="small" data-testid="nudge-recipients" style={{ columns: "18rem", margin: "0 0 1rem" }}>
          {d.names.slice(0, SHOWN).map((n) => (
            <li key={n.userId} data-user={n.userId}>
              <bdi>{n.userId}</bdi>
              {n.displayname ? (
                <span className="muted">
                  {" "}
                  (<bdi>{n.displayname}</bdi>)
                </span>
              ) : null}
              {recent.has(n.userId) ? <span className="muted"> — skipped, nudged recently</span> : null}
            </li>
          ))}
          {d.names.length > SHOWN ? <li className="muted">and {(d.names.length - SHOWN).toLocaleString("en")} more</li> : null}
        </ul>
      ) : null}
      {d.leftOut.length ? (
        <div className="alert info" data-testid="nudge-left-out">
          Left out: {d.leftOut.slice(0, SHOWN).map((l, i) => (
            <span key={l.userId} data-user={l.userId}>
              {i ? ", " : ""}
              <bdi>{l.userId}</bdi> ({l.reason})
            </span>
          ))}
          {d.leftOut.length > SHOWN ? ` and ${(d.leftOut.length - SHOWN).toLocaleString("en")} more` : ""}.
        </div>
      ) : null}
    </section>
  );
}

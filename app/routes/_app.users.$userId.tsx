/** One user: flags, creation and last-seen (stored and live), devices fetched live, and the security posture slot. */
import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { json } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { Time } from "~/components/Time";
import { DeviceTable } from "~/components/users/DeviceTable";
import { UserFlags } from "~/components/users/UserFlags";
import { requireAdmin, withHomeserver } from "~/services/auth/guard.server";
import { loadUserDetail } from "~/services/users/detail.server";
import { userPosturePanel } from "~/services/posture/report.server";
import { PosturePanel } from "~/components/security/PosturePanel";
import { NotALocalUser, type NotALocalUserView } from "~/components/users/NotALocalUser";
import { isMatrixUserId, serverOfUserId } from "~/services/routing/params";
import { UserActionsPanel } from "~/components/users/UserActionsPanel";
import { pageActions } from "~/services/users/actions/page.server";
import { actorFor, userActionsBackendForAdmin } from "~/services/users/actions/target.server";
import { loadMasUserView, masPageView } from "~/services/users/mas-detail.server";
import { MAS_ADMIN_MEANING } from "~/services/users/actions/mas-words";
import { MasSessionTable } from "~/components/users/MasSessions";
import { ownStewardDevices } from "~/services/auth/steward-devices.server";
import { StewardDevicesNote } from "~/components/auth/StewardDevices";
import { prefetchedLoader } from "~/components/prefetch-data";

export const meta: MetaFunction<typeof loader> = ({ data }) => [
  { title: `${data && "notHere" in data ? (data.notHere.kind === "invalid" ? "Not a Matrix user ID" : "Not a user of this server") : (data?.userId ?? "User")} · Steward` },
];

export async function loader(args: LoaderFunctionArgs) {
  // Not a Matrix user ID: a 404 that says so, before any query (issue 14, items 16 and 18).
  const raw = args.params.userId ?? "";
  if (!isMatrixUserId(raw)) return json({ notHere: { kind: "invalid", text: raw } satisfies NotALocalUserView }, { status: 404 });
  const parsed = { data: raw };
  const admin = await requireAdmin(args);
  const ourServer = serverOfUserId(admin.session.userId);
  if (serverOfUserId(raw) !== ourServer) {
    return json({ notHere: { kind: "remote", userId: raw, server: serverOfUserId(raw), ourServer } satisfies NotALocalUserView }, { status: 404 });
  }
  // Under MAS, lock, deactivation, admin permission and sessions are MAS's (decision 024); the profile stays Synapse's.
  const backend = await withHomeserver(admin, args, () => userActionsBackendForAdmin(admin));
  const [view, mas] = await Promise.all([
    loadUserDetail(admin.steward.db, admin.hs, parsed.data, (fn) => withHomeserver(admin, args, fn)),
    backend.kind === "mas" ? loadMasUserView(backend, parsed.data) : Promise.resolve(null),
  ]);
  if (!view.stored && !view.profile.ok && view.profile.notFound) {
    throw json({ error: `The homeserver has no user ${parsed.data}.` }, { status: 404 });
  }
  // POSTURE SLOT: the security report adds this user's posture here (e.g. `posture: await userPosture(db, userId)`)
  // and renders it in <section data-slot="posture"> below. Until then the page says it is not available.
  const posture = await userPosturePanel(admin.steward.db, parsed.data);
  const actor = await actorFor(admin.steward.db, admin.session, parsed.data, mas?.sessions.ok ? mas.sessions.value.rows : null);
  const actions = pageActions(backend, view, actor, new URL(args.request.url).searchParams.get("done"), mas);
  const stewardDevices = await ownStewardDevices(admin.steward.db, admin.session, parsed.data, view.devices);
  const masView = mas ? masPageView(mas, actor) : null;
  return json({ ...view, posture, actions, stewardDevices, mas: masView, adminMeaning: mas ? MAS_ADMIN_MEANING : null }, { headers: { "Cache-Control": "no-store" } });
}

/** Takes the answer asked for while the pointer rested on a link here (decision 028). */
export const clientLoader = prefetchedLoader;

export default function UserPage() {
  const loaded = useLoaderData<typeof loader>();
  if ("notHere" in loaded) return <NotALocalUser view={loaded.notHere} />;
  return <LocalUserPage data={loaded} />;
}

function LocalUserPage({ data }: { data: Exclude<ReturnType<typeof useLoaderData<typeof loader>>, { notHere: unknown }> }) {
  const profile = data.profile.ok ? data.profile.value : null;
  // Live values when the homeserver answered; the last collection's otherwise. Under MAS its lock, deactivation and
  // guest flags are the truth, and Synapse's admin column means nothing (admin is shown in its own row).
  const synapseShown = profile ?? data.stored;
  const masAccount = data.mas?.account.ok ? data.mas.account.value : null;
  const shown = synapseShown && data.mas ? { ...synapseShown, admin: false, ...(masAccount ? { locked: masAccount.locked, deactivated: masAccount.deactivated, isGuest: masAccount.isGuest } : {}) } : synapseShown;
  return (
    <>
      <p className="small">
        <Link to="/users">← Users</Link>
      </p>
      <h1 className="mono" style={{ overflowWrap: "anywhere" }}>
        {data.userId}
      </h1>
      {data.actions.done ? (
        <div className="alert ok" role="status" data-testid="action-done">
          {data.actions.done}
        </div>
      ) : null}
      {shown?.displayname ? (
        <p style={{ overflowWrap: "anywhere" }}>
          <bdi data-testid="displayname">{shown.displayname}</bdi>
        </p>
      ) : null}
      {!data.profile.ok ? (
        <div className="alert warn" role="status">
          Live profile unavailable: {data.profile.error}
          {data.stored ? " Showing the values from the last collection." : ""}
        </div>
      ) : null}
      {shown ? (
        <section className="panel" aria-labelledby="profile-h">
          <h2 id="profile-h" style={{ fontSize: "1rem", marginTop: 0 }}>
            Profile
          </h2>
          <table>
            <tbody>
              <tr>
                <td>Flags</td>
                <td>
                  <UserFlags user={shown} />
                  {profile?.suspended ? <span className="badge warn">suspended</span> : null}
                  {!shown.admin && !shown.deactivated && !shown.locked && !shown.isGuest && !shown.userType && !shown.shadowBanned && !profile?.suspended ? (
                    <span className="muted">regular account</span>
                  ) : null}
                </td>
              </tr>
              {data.mas ? (
                <tr>
                  <td>Admin access</td>
                  <td data-testid="mas-admin">
                    {masAccount ? (
                      masAccount.admin ? (
                        <span className="badge info">may request admin access</span>
                      ) : (
                        <span className="muted">may not request admin access</span>
                      )
                    ) : (
                      <span className="muted">unknown: {data.mas.account.ok ? "" : data.mas.account.error}</span>
                    )}
                    <div className="small muted">{data.adminMeaning}</div>
                  </td>
                </tr>
              ) : null}
              <tr>
                <td>Created</td>
                <td>
                  <Time value={shown.creationTs} never="unknown" />
                </td>
              </tr>
              <tr>
                <td>Last seen</td>
                <td>
                  <Time value={data.lastSeenTs} never="never" />
                </td>
              </tr>
              {profile?.appserviceId ? (
                <tr>
                  <td>Application service</td>
                  <td className="mono">{profile.appserviceId}</td>
                </tr>
              ) : null}
              {profile?.threepids.length ? (
                <tr>
                  <td>Contact</td>
                  <td>{profile.threepids.map((t) => `${t.medium}: ${t.address}`).join(", ")}</td>
                </tr>
              ) : null}
              {profile?.externalIds.length ? (
                <tr>
                  <td>External ids</td>
                  <td className="small">{profile.externalIds.map((x) => `${x.authProvider}: ${x.externalId}`).join(", ")}</td>
                </tr>
              ) : null}
            </tbody>
          </table>
        </section>
      ) : null}
      {data.mas ? (
        <section className="panel" aria-labelledby="sessions-h">
          <h2 id="sessions-h" style={{ fontSize: "1rem", marginTop: 0 }}>
            Sessions (authentication service)
          </h2>
          {data.mas.sessions.ok ? (
            <MasSessionTable
              rows={data.mas.sessions.rows}
              truncated={data.mas.sessions.truncated}
              signOutHref={data.actions.deviceSignOut ? (key) => `${data.actions.base}?action=sign-out-device&device=${encodeURIComponent(key)}` : null}
            />
          ) : (
            <div className="alert error" role="alert" data-testid="mas-sessions-error">
              Could not load the sessions: {data.mas.sessions.error}
            </div>
          )}
        </section>
      ) : null}
      <section className="panel" aria-labelledby="devices-h">
        <h2 id="devices-h" style={{ fontSize: "1rem", marginTop: 0 }}>
          Devices
        </h2>
        {data.mas ? <p className="small muted">The homeserver&apos;s Matrix devices. Under the authentication service a device is signed out by finishing its session above.</p> : null}
        {data.stewardDevices ? <StewardDevicesNote count={data.stewardDevices.count} ownDeviceId={data.actions.ownDeviceId} ownIsSteward={data.stewardDevices.ownIsSteward} /> : null}
        {data.devices.ok ? (
          <DeviceTable
            devices={data.devices.value}
            signOutHref={data.actions.deviceSignOut && !data.mas ? (id) => (id === data.actions.ownDeviceId ? null : `${data.actions.base}?action=sign-out-device&device=${encodeURIComponent(id)}`) : undefined}
          />
        ) : (
          <div className="alert error" role="alert">
            Could not load the devices: {data.devices.error}
          </div>
        )}
      </section>
      <UserActionsPanel actions={data.actions.offered} base={data.actions.base} note={data.actions.note} unavailable={data.actions.unavailable} adminMeaning={data.adminMeaning} />
      <section className="panel" aria-labelledby="posture-h" data-slot="posture">
        <h2 id="posture-h" style={{ fontSize: "1rem", marginTop: 0 }}>
          Security posture
        </h2>
        {/* POSTURE SLOT: the security report renders this user's posture panel here from `data.posture`. */}
        <PosturePanel data={data.posture} userId={data.userId} deactivated={Boolean(shown?.deactivated)} guest={Boolean(shown?.isGuest)} />
      </section>
    </>
  );
}

/** Overview. The KPI cards and charts arrive with the user-counts collector; until then, what is known. */
import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { json } from "@remix-run/node";
import { useLoaderData } from "@remix-run/react";
import { requireAdmin } from "~/services/guard.server";

export const meta: MetaFunction = () => [{ title: "Overview · Steward" }];

export async function loader(args: LoaderFunctionArgs) {
  const { session } = await requireAdmin(args);
  return json({ homeserverUrl: session.homeserverUrl, serverVersion: session.serverVersion });
}

export default function Overview() {
  const data = useLoaderData<typeof loader>();
  return (
    <>
      <h1>Overview</h1>
      <div className="panel">
        <p>
          Connected to <code>{data.homeserverUrl}</code>
          {data.serverVersion ? ` (Synapse ${data.serverVersion})` : ""}.
        </p>
        <p className="muted">No history has been collected yet.</p>
      </div>
    </>
  );
}

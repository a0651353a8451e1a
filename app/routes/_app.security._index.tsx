/** Security: placeholder until its feature lands (see the open issues). */
import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { json } from "@remix-run/node";
import { requireAdmin } from "~/services/guard.server";

export const meta: MetaFunction = () => [{ title: "Security · Steward" }];

export async function loader(args: LoaderFunctionArgs) {
  await requireAdmin(args);
  return json({});
}

export default function SecurityPage() {
  return (
    <>
      <h1>Security</h1>
      <p className="muted">This report is not available yet.</p>
    </>
  );
}

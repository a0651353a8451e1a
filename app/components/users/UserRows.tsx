/**
 * The rows of the users list. Memoised: the page re-renders whenever the router's state changes (a navigation
 * starting, its data arriving), and up to 1,000 unchanged rows re-rendered each time cost more than the new page.
 */
import { memo } from "react";
import { Time } from "../Time";
import { UserFlags, type FlagFields } from "./UserFlags";
import { RowLink } from "~/components/client-nav";
import { useFirstRowsFirst } from "~/components/first-rows";

export interface UserRow extends FlagFields {
  userId: string;
  displayname: string | null;
  creationTs: string | null;
  lastSeenTs: string | null;
}

/** A row without a display name is one line (33 px); the title, search and page sizes above take 250 px or more (302 at 1280 px wide). */
const GEOMETRY = { rowPx: 33, abovePx: 250 };

export const UserRows = memo(function UserRows({ rows }: { rows: UserRow[] }) {
  const shown = useFirstRowsFirst(rows, GEOMETRY);
  return (
    <>
      {shown.map((u) => (
        <tr key={u.userId}>
          <td>
            <RowLink to={`/users/${encodeURIComponent(u.userId)}`} className="mono">
              {u.userId}
            </RowLink>
            {u.displayname ? (
              <div className="small muted" style={{ overflowWrap: "anywhere", maxWidth: "48ch" }}>
                {/* Untrusted text: <bdi> keeps right-to-left overrides from reordering the row. */}
                <bdi>{u.displayname}</bdi>
              </div>
            ) : null}
          </td>
          <td>
            <UserFlags user={u} />
          </td>
          <td>
            <Time value={u.creationTs} never="unknown" />
          </td>
          <td>
            <Time value={u.lastSeenTs} never="never" />
          </td>
        </tr>
      ))}
    </>
  );
});

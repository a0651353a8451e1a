/** The summary: users fully secured and missing each piece, with percentages; each card filters the table. */
import { Link } from "@remix-run/react";
import { CHECK_NAMES, CHECK_TEXT, pct, type CheckKey } from "./checks";

type Counts = Record<string, { ok: number; missing: number; unknown: number }>;

export function PostureCards({ users, checks, linkBase }: { users: number; checks: Counts; linkBase: string }) {
  const href = (check: CheckKey, status: string) => {
    const p = new URLSearchParams(linkBase);
    p.set("check", check);
    p.set("status", status);
    p.delete("page");
    return `/security?${p}`;
  };
  return (
    <div className="cards" data-testid="posture-cards">
      {CHECK_NAMES.map((c) => {
        const k = checks[c] ?? { ok: 0, missing: 0, unknown: 0 };
        const fully = c === "fully_secured";
        const value = fully ? k.ok : k.missing;
        return (
          <div className="card" key={c} data-check={c}>
            <div className="label">{fully ? "Fully secured" : CHECK_TEXT[c].missing}</div>
            <div className="value">
              <Link to={href(c, fully ? "ok" : "missing")}>{value.toLocaleString("en")}</Link>
            </div>
            <div className="delta">
              {pct(value, users)} of {users.toLocaleString("en")} users
              {k.unknown ? (
                <>
                  {" · "}
                  <Link to={href(c, "unknown")}>{k.unknown.toLocaleString("en")} unknown</Link>
                </>
              ) : null}
            </div>
          </div>
        );
      })}
    </div>
  );
}

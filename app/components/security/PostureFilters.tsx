/** The report's filter form (a GET form: every filter is in the URL, so it can be shared and exported). */
import { Form } from "@remix-run/react";
import { CHECK_NAMES, CHECK_TEXT, EXTRA, EXTRA_TEXT } from "./checks";

export interface FilterForm {
  check: string;
  status: string;
  stale: boolean;
  more: string;
  include: string[];
  q: string;
  sort: string;
  dir: string;
}

const SORT_LABELS: Record<string, string> = { user: "User id", devices: "Sessions", unverified: "Unverified sessions", stale: "Stale sessions" };

export function PostureFilters({ form, errors }: { form: FilterForm; errors: { more?: string } }) {
  return (
    <Form method="get" className="toolbar" role="search" aria-label="Filter users">
      <div className="field">
        <label htmlFor="sec-q">Search</label>
        <input id="sec-q" type="search" name="q" defaultValue={form.q} placeholder="user id or name" maxLength={255} />
      </div>
      <div className="field">
        <label htmlFor="sec-check">Check</label>
        <select id="sec-check" name="check" defaultValue={form.check}>
          <option value="">Any check</option>
          {CHECK_NAMES.map((c) => (
            <option key={c} value={c}>
              {CHECK_TEXT[c].label}
            </option>
          ))}
        </select>
      </div>
      <div className="field">
        <label htmlFor="sec-status">Status</label>
        <select id="sec-status" name="status" defaultValue={form.status}>
          <option value="">Any</option>
          <option value="missing">Missing</option>
          <option value="unknown">Unknown</option>
          <option value="ok">OK</option>
        </select>
      </div>
      <div className="field">
        <label htmlFor="sec-more">More than N sessions</label>
        <input
          id="sec-more"
          type="text"
          name="more"
          inputMode="numeric"
          defaultValue={form.more}
          size={5}
          aria-invalid={errors.more ? true : undefined}
          aria-describedby={errors.more ? "sec-more-error" : undefined}
        />
        {errors.more ? (
          <div className="field-error" id="sec-more-error">
            {errors.more}
          </div>
        ) : null}
      </div>
      <div className="field">
        <label>
          <input type="checkbox" name="stale" value="1" defaultChecked={form.stale} /> Has stale sessions
        </label>
      </div>
      <fieldset className="field inline-checks" data-testid="also-include">
        <legend className="small muted">Also include</legend>
        {EXTRA.map((c) => (
          <label key={c} className="small">
            <input type="checkbox" name="include" value={c} defaultChecked={form.include.includes(c)} /> {EXTRA_TEXT[c]}
          </label>
        ))}
      </fieldset>
      <div className="field">
        <label htmlFor="sec-sort">Sort by</label>
        <select id="sec-sort" name="sort" defaultValue={form.sort}>
          {Object.entries(SORT_LABELS).map(([k, v]) => (
            <option key={k} value={k}>
              {v}
            </option>
          ))}
        </select>
      </div>
      <div className="field">
        <label htmlFor="sec-dir">Order</label>
        <select id="sec-dir" name="dir" defaultValue={form.dir}>
          <option value="asc">Ascending</option>
          <option value="desc">Descending</option>
        </select>
      </div>
      <button type="submit" className="secondary">
        Apply
      </button>
    </Form>
  );
}

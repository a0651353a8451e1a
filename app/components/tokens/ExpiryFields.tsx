/**
 * "Expires": a preset (1 day, 7 days, 30 days, never) or a date-time. The date-time is read in the browser's time
 * zone: a hidden field carries its UTC offset once JavaScript runs; without it the time is taken as UTC (said so).
 */
import { useEffect, useState } from "react";
import type { FieldErrors } from "~/services/tokens/types";

/** The presets tokens/rules.server.ts accepts, plus "custom" (the date-time field). */
const EXPIRY_CHOICES: [string, string][] = [
  ["1d", "in 1 day"],
  ["7d", "in 7 days"],
  ["30d", "in 30 days"],
  ["never", "never"],
  ["custom", "at a date and time…"],
];

export function ExpiryFields({
  defaultChoice,
  defaultAt,
  errors,
  allowKeep = false,
}: {
  defaultChoice: string;
  defaultAt: string;
  errors: FieldErrors;
  allowKeep?: boolean;
}) {
  const [tzOffset, setTzOffset] = useState<number | null>(null);
  useEffect(() => setTzOffset(new Date().getTimezoneOffset()), []);
  const choices = allowKeep ? [["keep", "keep as it is"] as [string, string], ...EXPIRY_CHOICES] : EXPIRY_CHOICES;
  return (
    <>
      <div className="field">
        <label htmlFor="f-expires">Expires</label>
        <select id="f-expires" name="expires" defaultValue={defaultChoice} aria-invalid={errors.expires ? true : undefined}>
          {choices.map(([value, label]) => (
            <option key={value} value={value}>
              {label}
            </option>
          ))}
        </select>
        {errors.expires ? (
          <div className="field-error" role="alert">
            {errors.expires}
          </div>
        ) : null}
      </div>
      <div className="field">
        <label htmlFor="f-expiresAt">Expiry date and time</label>
        <input
          id="f-expiresAt"
          name="expiresAt"
          type="datetime-local"
          defaultValue={defaultAt}
          aria-invalid={errors.expiresAt ? true : undefined}
          aria-describedby="f-expiresAt-hint"
        />
        <input type="hidden" name="tzOffset" value={tzOffset ?? 0} />
        <div className="field-hint" id="f-expiresAt-hint">
          Used when “Expires” is set to a date and time; {tzOffset === null ? "read as UTC" : "in your time zone"}.
        </div>
        {errors.expiresAt ? (
          <div className="field-error" role="alert">
            {errors.expiresAt}
          </div>
        ) : null}
      </div>
    </>
  );
}

/** One check's verdict as a coloured badge, with the reason (if any) on hover. */
import { CHECK_TEXT, STATUS_CLASS, type CheckKey, type Status } from "./checks";

export function CheckBadge({ check, status, note }: { check: CheckKey; status: string; note?: string }) {
  const s = (["ok", "missing", "unknown"].includes(status) ? status : "unknown") as Status;
  const text = s === "ok" ? CHECK_TEXT[check].ok : s === "missing" ? CHECK_TEXT[check].missing : `${CHECK_TEXT[check].label}: unknown`;
  return (
    <span className={`badge ${STATUS_CLASS[s]}`} title={note} data-check={check} data-status={s}>
      {text}
    </span>
  );
}

/** Copies a text to the clipboard (progressive enhancement: without JavaScript the text stays selectable beside it). */
import { useEffect, useState } from "react";

export function CopyButton({ text, label }: { text: string; label: string }) {
  const [state, setState] = useState<"idle" | "copied" | "failed">("idle");
  const [canCopy, setCanCopy] = useState(false);
  useEffect(() => setCanCopy(typeof navigator !== "undefined" && Boolean(navigator.clipboard)), []);
  if (!canCopy) return null;
  return (
    <button
      type="button"
      className="secondary"
      onClick={() =>
        navigator.clipboard.writeText(text).then(
          () => setState("copied"),
          () => setState("failed"),
        )
      }
    >
      {state === "copied" ? "Copied" : state === "failed" ? "Copy failed: select and copy" : label}
    </button>
  );
}

/**
 * A labelled read-only field with its copy button: a token, a link or a message to send (the classic and the MAS
 * invite panels). `rows` makes it a text area.
 */
export function CopyField({ id, label, value, copyLabel, testId, rows }: { id: string; label: string; value: string; copyLabel: string; testId: string; rows?: number }) {
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      {rows ? (
        <textarea id={id} readOnly rows={rows} value={value} data-testid={testId} />
      ) : (
        <input id={id} type="text" readOnly value={value} className="mono" data-testid={testId} />
      )}
      <CopyButton text={value} label={copyLabel} />
    </div>
  );
}

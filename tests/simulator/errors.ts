// Matrix-style errors as Synapse sends them: `{errcode, error, ...extra}` with an HTTP status.
// Handlers throw these; the server turns them into responses. Error *texts* copy what the recorded
// Synapse 1.132.0 wrote, but clients must map on status + errcode only (Synapse rewords messages).

export class MatrixError extends Error {
  constructor(
    readonly status: number,
    readonly errcode: string,
    message: string,
    readonly extra: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }

  toJSON(): Record<string, unknown> {
    return { errcode: this.errcode, error: this.message, ...this.extra };
  }
}

export const errors = {
  unrecognized: () => new MatrixError(404, "M_UNRECOGNIZED", "Unrecognized request"),
  methodNotAllowed: () => new MatrixError(405, "M_UNRECOGNIZED", "Unrecognized request"),
  missingToken: () => new MatrixError(401, "M_MISSING_TOKEN", "Missing access token"),
  unknownToken: (softLogout = false) =>
    new MatrixError(401, "M_UNKNOWN_TOKEN", "Invalid access token passed.", { soft_logout: softLogout }),
  userLocked: () =>
    new MatrixError(401, "M_USER_LOCKED", "User account has been locked", { soft_logout: true }),
  notAdmin: () => new MatrixError(403, "M_FORBIDDEN", "You are not a server admin"),
  forbidden: (msg: string) => new MatrixError(403, "M_FORBIDDEN", msg),
  notFound: (msg = "Not found") => new MatrixError(404, "M_NOT_FOUND", msg),
  invalidParam: (msg: string) => new MatrixError(400, "M_INVALID_PARAM", msg),
  missingParam: (msg: string) => new MatrixError(400, "M_MISSING_PARAM", msg),
  notJson: () => new MatrixError(400, "M_NOT_JSON", "Content not JSON."),
  badJson: (msg: string) => new MatrixError(400, "M_BAD_JSON", msg),
  /** A SynapseError raised without a code: 400 M_UNKNOWN (remote users, reset_connection on a healthy destination…). */
  unknown: (msg: string, status = 400) => new MatrixError(status, "M_UNKNOWN", msg),
  internal: () => new MatrixError(500, "M_UNKNOWN", "Internal server error"),
  /** 429 with `retry_after_ms` in the body and `Retry-After` (whole seconds, rounded up) as Synapse ≥ 1.103 sends. */
  limitExceeded: (retryAfterMs: number) => {
    const ms = Math.max(0, Math.ceil(retryAfterMs));
    return new MatrixError(
      429,
      "M_LIMIT_EXCEEDED",
      "Too Many Requests",
      { retry_after_ms: ms },
      { "Retry-After": String(Math.ceil(ms / 1000)) },
    );
  },
};

/** Twisted's page for an unknown top-level path (recorded verbatim). */
export const TWISTED_404_HTML =
  "\n<html>\n  <head><title>404 - No Such Resource</title></head>\n  <body>\n    <h1>No Such Resource</h1>\n" +
  "    <p>Sorry. No luck finding that resource.</p>\n  </body>\n</html>\n";

/** What a reverse proxy that does not forward a path typically sends (used by the `html404` fault). */
export const PROXY_404_HTML =
  "<html>\r\n<head><title>404 Not Found</title></head>\r\n<body>\r\n<center><h1>404 Not Found</h1></center>\r\n" +
  "<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n";

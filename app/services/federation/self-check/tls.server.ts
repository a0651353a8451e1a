/**
 * The TLS certificate on our federation address: fetched with Node's `tls` (verification off, so we can *say*
 * what is wrong instead of just failing), then judged by a pure function that tests drive with made-up
 * certificates and clocks.
 */
import tls from "node:tls";

export interface CertificateInfo {
  /** Did Node's default CA store accept the chain? (Host name is checked separately.) */
  authorized: boolean;
  /** Node's code when not authorized, e.g. CERT_HAS_EXPIRED, DEPTH_ZERO_SELF_SIGNED_CERT. */
  authorizationError: string | null;
  /** Host name mismatch message from tls.checkServerIdentity, or null when the name matches. */
  hostnameError: string | null;
  validFrom: number;
  validTo: number;
  subject: string;
  issuer: string;
}

export type TlsInspector = (host: string, port: number, servername: string, timeoutMs: number) => Promise<CertificateInfo>;

export class TlsInspectError extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
  }
}

/** Connects, reads the peer certificate and disconnects. Rejects with TlsInspectError (code) on failure. */
export const inspectCertificate: TlsInspector = (host, port, servername, timeoutMs) =>
  new Promise((resolve, reject) => {
    const isIp = /^[\d.]+$|:/.test(servername);
    const socket = tls.connect({ host, port, servername: isIp ? undefined : servername, rejectUnauthorized: false, ALPNProtocols: ["http/1.1"] });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new TlsInspectError(`no TLS handshake within ${Math.round(timeoutMs / 1000)} s`, "ETIMEDOUT"));
    }, timeoutMs);
    socket.once("secureConnect", () => {
      clearTimeout(timer);
      const cert = socket.getPeerCertificate();
      socket.end();
      if (!cert || !cert.valid_to) return reject(new TlsInspectError("the server sent no certificate", "NO_CERT"));
      const identity = tls.checkServerIdentity(servername, cert);
      resolve({
        authorized: socket.authorized,
        authorizationError: socket.authorizationError ? String(socket.authorizationError) : null,
        hostnameError: identity ? identity.message : null,
        validFrom: Date.parse(cert.valid_from),
        validTo: Date.parse(cert.valid_to),
        subject: cert.subject?.CN ? String(cert.subject.CN) : "",
        issuer: cert.issuer?.O ? String(cert.issuer.O) : cert.issuer?.CN ? String(cert.issuer.CN) : "",
      });
    });
    socket.once("error", (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(new TlsInspectError(e.message, e.code ?? "ETLS"));
    });
  });

export interface CertificateVerdict {
  status: "pass" | "warn" | "fail";
  summary: string;
  fix: string | null;
}

const DAY = 86_400_000;
/** Warn this long before expiry: enough for a renewal that failed silently to be noticed. */
export const EXPIRY_WARNING_MS = 14 * DAY;

const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);

export function judgeCertificate(c: CertificateInfo, name: string, now: number): CertificateVerdict {
  const renew = "Renew the certificate (e.g. check that certbot or your proxy's ACME renewal runs) and reload the proxy.";
  if (now > c.validTo || c.authorizationError === "CERT_HAS_EXPIRED") {
    return { status: "fail", summary: `The certificate for ${name} expired on ${day(c.validTo)}; other servers refuse to federate with it.`, fix: renew };
  }
  if (now < c.validFrom || c.authorizationError === "CERT_NOT_YET_VALID") {
    return { status: "fail", summary: `The certificate for ${name} is not valid until ${day(c.validFrom)} (check the server's clock).`, fix: "Fix the clock of the machine that issued or serves the certificate, or reissue it." };
  }
  if (c.authorizationError === "DEPTH_ZERO_SELF_SIGNED_CERT" || c.authorizationError === "SELF_SIGNED_CERT_IN_CHAIN") {
    return { status: "fail", summary: `The certificate for ${name} is self-signed; other servers do not trust it.`, fix: "Use a certificate from a public CA (e.g. Let's Encrypt) on the federation port." };
  }
  if (!c.authorized) {
    return {
      status: "fail",
      summary: `The certificate for ${name} is not trusted (${c.authorizationError ?? "unknown reason"}).`,
      fix: "Serve the full chain (certificate plus intermediates, e.g. fullchain.pem) from a public CA.",
    };
  }
  if (c.hostnameError) {
    return { status: "fail", summary: `The certificate is not valid for ${name} (it is for ${c.subject || "another name"}).`, fix: `Get a certificate that covers ${name}, or delegate federation to a name your certificate covers.` };
  }
  const left = c.validTo - now;
  if (left < EXPIRY_WARNING_MS) {
    return { status: "warn", summary: `The certificate for ${name} expires in ${Math.max(0, Math.floor(left / DAY))} days (${day(c.validTo)}).`, fix: renew };
  }
  return { status: "pass", summary: `Valid certificate for ${name} until ${day(c.validTo)}${c.issuer ? `, issued by ${c.issuer}` : ""}.`, fix: null };
}

/**
 * Judging the federation certificate: each failure mode has its own message (expired, not yet valid, self-signed,
 * untrusted chain, wrong host name), expiry soon warns; plus a real TLS handshake against a local self-signed
 * server (certificate made with openssl when it is installed) and a refused connection.
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import tls from "node:tls";
import type { AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import { inspectCertificate, judgeCertificate, type CertificateInfo } from "../../app/services/federation/self-check/tls.server";
import { checkTls } from "../../app/services/federation/self-check/checks.server";

const NOW = Date.UTC(2026, 10, 27);
const DAY = 86_400_000;
const good: CertificateInfo = {
  authorized: true,
  authorizationError: null,
  hostnameError: null,
  validFrom: NOW - 30 * DAY,
  validTo: NOW + 60 * DAY,
  subject: "example.org",
  issuer: "Let's Encrypt",
};

describe("judgeCertificate", () => {
  it("passes a trusted certificate for the name, naming the expiry and the issuer", () => {
    expect(judgeCertificate(good, "example.org", NOW)).toEqual({ status: "pass", summary: "Valid certificate for example.org until 2027-01-26, issued by Let's Encrypt.", fix: null });
  });

  it("gives each failure its own message", () => {
    const verdicts = [
      judgeCertificate({ ...good, validTo: NOW - DAY, authorized: false, authorizationError: "CERT_HAS_EXPIRED" }, "example.org", NOW),
      judgeCertificate({ ...good, validFrom: NOW + DAY }, "example.org", NOW),
      judgeCertificate({ ...good, authorized: false, authorizationError: "DEPTH_ZERO_SELF_SIGNED_CERT" }, "example.org", NOW),
      judgeCertificate({ ...good, authorized: false, authorizationError: "UNABLE_TO_VERIFY_LEAF_SIGNATURE" }, "example.org", NOW),
      judgeCertificate({ ...good, hostnameError: "Hostname/IP does not match", subject: "other.org" }, "example.org", NOW),
    ];
    expect(verdicts.map((v) => v.status)).toEqual(["fail", "fail", "fail", "fail", "fail"]);
    expect(verdicts[0].summary).toMatch(/expired on \d{4}-\d\d-\d\d/);
    expect(verdicts[1].summary).toMatch(/not valid until/);
    expect(verdicts[2].summary).toMatch(/self-signed/);
    expect(verdicts[3].summary).toMatch(/not trusted \(UNABLE_TO_VERIFY_LEAF_SIGNATURE\)/);
    expect(verdicts[4].summary).toMatch(/not valid for example.org \(it is for other.org\)/);
    expect(new Set(verdicts.map((v) => v.summary)).size).toBe(5);
    for (const v of verdicts) expect(v.fix).toBeTruthy();
  });

  it("warns two weeks before expiry", () => {
    const v = judgeCertificate({ ...good, validTo: NOW + 5 * DAY + 1000 }, "example.org", NOW);
    expect(v.status).toBe("warn");
    expect(v.summary).toContain("expires in 5 days");
    expect(judgeCertificate({ ...good, validTo: NOW + 15 * DAY }, "example.org", NOW).status).toBe("pass");
  });
});

function opensslCert(dir: string): { key: Buffer; cert: Buffer } | null {
  try {
    execFileSync("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", path.join(dir, "k.pem"), "-out", path.join(dir, "c.pem"), "-days", "30", "-subj", "/CN=selfsigned.test"], { stdio: "ignore" });
    return { key: fs.readFileSync(path.join(dir, "k.pem")), cert: fs.readFileSync(path.join(dir, "c.pem")) };
  } catch {
    return null;
  }
}

describe("inspectCertificate (real TLS on loopback)", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "steward-tls-"));
  const pair = opensslCert(dir);

  it.skipIf(!pair)("reads a self-signed certificate and the check says so", async () => {
    const server = tls.createServer({ key: pair!.key, cert: pair!.cert }, (s) => s.end());
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const { port } = server.address() as AddressInfo;
    try {
      const info = await inspectCertificate("127.0.0.1", port, "selfsigned.test", 3000);
      expect(info.authorized).toBe(false);
      expect(info.authorizationError).toBe("DEPTH_ZERO_SELF_SIGNED_CERT");
      expect(info.subject).toBe("selfsigned.test");
      expect(info.hostnameError).toBeNull();
      const r = await checkTls(inspectCertificate, { host: "127.0.0.1", port, tlsName: "selfsigned.test", how: "test" }, "https", Date.now(), 3000);
      expect(r).toMatchObject({ id: "tls-certificate", status: "fail" });
      expect(r.summary).toContain("self-signed");
      const wrongName = await inspectCertificate("127.0.0.1", port, "example.org", 3000);
      expect(wrongName.hostnameError).toMatch(/example.org/);
    } finally {
      server.close();
    }
  });

  it("reports a refused connection as a failed check, not a crash", async () => {
    const srv = tls.createServer();
    await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
    const { port } = srv.address() as AddressInfo;
    await new Promise<void>((r) => srv.close(() => r()));
    const r = await checkTls(inspectCertificate, { host: "127.0.0.1", port, tlsName: "example.org", how: "test" }, "https", NOW, 2000);
    expect(r.status).toBe("fail");
    expect(r.summary).toMatch(/No TLS connection to 127.0.0.1:\d+: .*ECONNREFUSED/);
  });

  it("skips when the federation address is plain http (test override)", async () => {
    const r = await checkTls(inspectCertificate, { host: "127.0.0.1", port: 1, tlsName: "x", how: "test" }, "http", NOW, 2000);
    expect(r.status).toBe("skip");
  });
});

/**
 * A throwaway self-signed certificate for 127.0.0.1/localhost, made with
 * openssl once per test process. Clients trust it through `tlsOptions.ca`
 * (in process) or a `caCertFile` / NODE_EXTRA_CA_CERTS (child processes).
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { requireExecutable } from "../../support/system.js";

export interface TestCert {
  key: string;
  cert: string;
  /** A file holding the certificate (the CA to trust). Removed by cleanup(). */
  certFile: string;
  dir: string;
  cleanup(): void;
}

let cached: TestCert | undefined;

export function testCert(): TestCert {
  if (cached) return cached;
  const dir = mkdtempSync(path.join(os.tmpdir(), "cutover-azure-tls-"));
  const keyFile = path.join(dir, "key.pem");
  const certFile = path.join(dir, "cert.pem");
  execFileSync(
    requireExecutable("openssl", "openssl"),
    [
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:prime256v1",
      "-nodes",
      "-keyout",
      keyFile,
      "-out",
      certFile,
      "-days",
      "2",
      "-subj",
      "/CN=127.0.0.1",
      "-addext",
      "subjectAltName=IP:127.0.0.1,DNS:localhost",
    ],
    { stdio: "ignore" },
  );
  const cert: TestCert = {
    key: readFileSync(keyFile, "utf8"),
    cert: readFileSync(certFile, "utf8"),
    certFile,
    dir,
    cleanup() {
      rmSync(dir, { recursive: true, force: true });
      cached = undefined;
    },
  };
  cached = cert;
  // Test files and benchmarks share one certificate per process: remove it when the process ends.
  process.once("exit", () => rmSync(dir, { recursive: true, force: true }));
  return cert;
}

/** A CA bundle for NODE_EXTRA_CA_CERTS in a child process: the machine's bundle plus ours (it replaces, not adds). */
export function caBundleFile(cert: TestCert): string {
  const file = path.join(cert.dir, "bundle.pem");
  let base = "";
  const existing = process.env.NODE_EXTRA_CA_CERTS ?? process.env.HOST_NODE_EXTRA_CA_CERTS; // test/support/host-env.ts
  if (existing) {
    try {
      base = readFileSync(existing, "utf8");
    } catch {
      /* none */
    }
  }
  writeFileSync(file, base + "\n" + cert.cert);
  return file;
}

/**
 * Vitest setup, in every test worker: the machine's NODE_EXTRA_CA_CERTS, if set, is taken out of the
 * environment the tests' child processes inherit, and kept as HOST_NODE_EXTRA_CA_CERTS for the tests that
 * reach beyond this machine through its TLS proxy (test/package/pack.test.ts's npm install) or that build a
 * bundle on top of it (test/azure/fakes/tls.ts).
 *
 * Why: Node parses that file as each process starts. This project's machines point it at the system's whole
 * bundle (144 certificates), which adds about 60 ms to every Node start (docs/local.md), and the suite starts
 * thousands of them (CLIs, supervisors, apps, workers) that talk only to loopback services and to the tests'
 * fakes, which bring their own CA.
 */
const extra = process.env.NODE_EXTRA_CA_CERTS;
if (extra !== undefined) {
  process.env.HOST_NODE_EXTRA_CA_CERTS ??= extra;
  delete process.env.NODE_EXTRA_CA_CERTS;
}

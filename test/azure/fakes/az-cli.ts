/**
 * A stand-in `az` on PATH for end-to-end runs of the built CLI with
 * `CUTOVER_AZURE_AUTH=cli`: AzureCliCredential runs
 * `az account get-access-token ...` and reads its JSON. The real credential
 * class is exercised; nothing probes the machine's own logins.
 */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";

export function fakeAzCli(): { dir: string; cleanup(): void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), "cutover-fake-az-"));
  const file = path.join(dir, "az");
  const expires = Math.floor(Date.now() / 1000) + 3600;
  writeFileSync(
    file,
    `#!/bin/sh\n# fake Azure CLI: a token for any resource\necho ` +
      `'{"accessToken":"fake-cli-token","expires_on":${expires},"expiresOn":"2099-01-01 ` +
      `00:00:00.000000","tokenType":"Bearer"}'\n`,
  );
  chmodSync(file, 0o755);
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

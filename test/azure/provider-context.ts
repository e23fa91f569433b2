/** A ProviderContext for creating Azure providers in tests. */
import os from "node:os";
import type { ProviderContext } from "../../src/core/provider.js";

export function providerContext(secrets: Record<string, string> = {}, name = "test"): ProviderContext {
  return {
    stateDir: os.tmpdir(),
    baseDir: process.cwd(),
    name,
    secret: (key) => secrets[key] ?? process.env[key],
  };
}

/** Build the real azure-appservice provider against the fake ARM server, with a static token. */
import { azureAppServiceProvider } from "../../src/providers/azure/appservice-provider.js";
import type { AppServiceSlots } from "../../src/providers/azure/appservice-client.js";
import { setCredentialFactory, staticTokenCredential } from "../../src/providers/azure/credential.js";
import type { ArmFake } from "./fakes/arm-server.js";
import { testCert } from "./fakes/tls.js";
import { providerContext } from "../support/context.js";

// Tests never probe the machine for credentials.
setCredentialFactory(() => staticTokenCredential());

export const SUB = "00000000-0000-0000-0000-000000000000";
export const RG = "rg-test";

export async function armSlots(fake: ArmFake, extra: Record<string, unknown> = {}): Promise<AppServiceSlots> {
  const config = azureAppServiceProvider.config.parse({
    subscriptionId: SUB,
    resourceGroup: RG,
    app: "shop",
    endpoint: fake.url,
    caCertFile: testCert().certFile,
    pollIntervalMs: 1,
    retry: { maxRetries: 3, retryDelayMs: 1, maxRetryDelayMs: 5 },
    ...extra,
  });
  return azureAppServiceProvider.create(config, providerContext()) as Promise<AppServiceSlots>;
}

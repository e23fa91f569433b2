/**
 * Builds the App Service client of an `azure-appservice` entry. Loads
 * @azure/arm-appservice and @azure/identity: imported on demand by the
 * provider's create(), never at the top of a module the CLI loads.
 */
import { WebSiteManagementClient } from "@azure/arm-appservice";
import type { ProviderContext } from "../../core/provider.js";
import { AppServiceSlots } from "./appservice-client.js";
import type { AzureAppServiceConfig } from "./appservice-provider.js";
import { pipelineOptions } from "./client-options.js";
import { getCredential } from "./credential.js";
import { ARM_ENDPOINT, scopeOf } from "./lazy-provider.js";

export function connectAppService(config: AzureAppServiceConfig, ctx: ProviderContext): AppServiceSlots {
  const endpoint = config.endpoint ?? ARM_ENDPOINT;
  const pipeline = pipelineOptions(config.retry, config.caCertFile, ctx);
  // A sovereign cloud's ARM endpoint is also its token audience (https://management.chinacloudapi.cn/.default).
  const scopes = [scopeOf(endpoint)];
  const credential = getCredential(config.auth);
  const arm = new WebSiteManagementClient(credential, config.subscriptionId, {
    ...pipeline,
    endpoint,
    credentials: { scopes },
  });
  return new AppServiceSlots(
    arm,
    {
      subscriptionId: config.subscriptionId,
      resourceGroup: config.resourceGroup,
      defaultApp: config.app,
      defaultSlot: config.slot,
      pollIntervalMs: config.pollIntervalMs,
      preserveVnet: config.preserveVnet,
      tlsCa: pipeline.tlsOptions?.ca,
    },
    {
      // The SCM site takes an Entra token for the ARM audience (docs/azure.md, "OneDeploy").
      async token(signal) {
        const t = await credential.getToken(scopes, { abortSignal: signal });
        if (!t) throw new Error("the credential returned no token for the SCM site");
        return t.token;
      },
      tlsCa: pipeline.tlsOptions?.ca,
    },
  );
}

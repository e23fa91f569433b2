/**
 * Builds the Front Door client of an `azure-frontdoor` entry. Loads
 * @azure/arm-cdn and @azure/identity: imported on demand by the provider's
 * create(), never at the top of a module the CLI loads.
 */
import { CdnManagementClient } from "@azure/arm-cdn";
import type { ProviderContext } from "../../core/provider.js";
import { pipelineOptions } from "./client-options.js";
import { getCredential } from "./credential.js";
import { FrontDoorOrigins } from "./frontdoor-client.js";
import type { AzureFrontDoorConfig } from "./frontdoor-provider.js";
import { ARM_ENDPOINT, scopeOf } from "./lazy-provider.js";

export function connectFrontDoor(config: AzureFrontDoorConfig, ctx: ProviderContext): FrontDoorOrigins {
  const endpoint = config.endpoint ?? ARM_ENDPOINT;
  const pipeline = pipelineOptions(config.retry, config.caCertFile, ctx);
  const cdn = new CdnManagementClient(getCredential(config.auth), config.subscriptionId, {
    ...pipeline,
    endpoint,
    // A sovereign cloud's ARM endpoint is also its token audience.
    credentialScopes: [scopeOf(endpoint)],
  });
  return new FrontDoorOrigins(cdn, {
    resourceGroup: config.resourceGroup,
    profile: config.profile,
    pollIntervalMs: config.pollIntervalMs,
  });
}

/**
 * Builds the client of an `azure-containerapps` entry. Loads
 * @azure/arm-appcontainers and @azure/identity: imported on demand by the
 * provider's create(), never at the top of a module the CLI loads.
 */
import { ContainerAppsAPIClient } from "@azure/arm-appcontainers";
import type { ProviderContext } from "../../core/provider.js";
import { ContainerAppRevisions } from "./containerapps-client.js";
import type { AzureContainerAppsConfig } from "./containerapps-provider.js";
import { pipelineOptions } from "./client-options.js";
import { getCredential } from "./credential.js";
import { ARM_ENDPOINT, scopeOf } from "./lazy-provider.js";

export function connectContainerApps(config: AzureContainerAppsConfig, ctx: ProviderContext): ContainerAppRevisions {
  const endpoint = config.endpoint ?? ARM_ENDPOINT;
  // A sovereign cloud's ARM endpoint is also its token audience (https://management.chinacloudapi.cn/.default).
  const scopes = [scopeOf(endpoint)];
  const arm = new ContainerAppsAPIClient(getCredential(config.auth), config.subscriptionId, {
    ...pipelineOptions(config.retry, config.caCertFile, ctx),
    endpoint,
    credentialScopes: scopes,
  });
  return new ContainerAppRevisions(arm, {
    resourceGroup: config.resourceGroup,
    defaultApp: config.app,
    pollIntervalMs: config.pollIntervalMs,
    provisionTimeoutMs: config.provisionTimeoutMs,
  });
}

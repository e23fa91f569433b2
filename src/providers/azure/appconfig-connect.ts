/**
 * Builds the flag store of an `azure-appconfig` entry. Loads
 * @azure/app-configuration and @azure/identity: imported on demand by the
 * provider's create(), never at the top of a module the CLI loads.
 */
import { AppConfigurationClient } from "@azure/app-configuration";
import type { ProviderContext } from "../../core/provider.js";
import { AppConfigFlagStore } from "./appconfig-flag-store.js";
import type { AzureAppConfigConfig } from "./appconfig-provider.js";
import { pipelineOptions } from "./client-options.js";
import { chooseConnection, connectionStringEndpoint } from "./connection-options.js";
import { getCredential } from "./credential.js";

export function connectAppConfigFlags(config: AzureAppConfigConfig, ctx: ProviderContext): AppConfigFlagStore {
  const { client, storeName } = createAppConfigClient(config, ctx);
  return new AppConfigFlagStore({
    client,
    mode: config.mode,
    label: config.label,
    keyPrefix: config.keyPrefix,
    storeName,
    slots: config.slots,
  });
}

function createAppConfigClient(
  config: AzureAppConfigConfig,
  ctx: ProviderContext,
): { client: AppConfigurationClient; storeName: string } {
  const how = chooseConnection(ctx, config, "azure-appconfig");
  if ("connectionString" in how) {
    const endpoint = connectionStringEndpoint(how.connectionString, "Endpoint") ?? "";
    const client = new AppConfigurationClient(
      how.connectionString,
      pipelineOptions(config.retry, config.caCertFile, ctx, endpoint),
    );
    return { client, storeName: hostOf(endpoint) };
  }
  const client = new AppConfigurationClient(how.endpoint, getCredential(config.auth), {
    ...pipelineOptions(config.retry, config.caCertFile, ctx, how.endpoint),
    ...(config.audience ? { audience: config.audience } : {}),
  });
  return { client, storeName: hostOf(how.endpoint) };
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return "the App Configuration store";
  }
}

/**
 * `provider: azure-appconfig`: flags (capability `flags`) in an Azure App
 * Configuration store, as feature flags Microsoft.FeatureManagement reads or
 * as plain key-values.
 */
import { AppConfigurationClient } from "@azure/app-configuration";
import { z } from "zod";
import { CutoverError, ErrorCode } from "../../errors.js";
import { Capability } from "../contracts.js";
import type { ProviderContext, ProviderDefinition } from "../../actions/types.js";
import { AuthOptions, getCredential } from "./credential.js";
import { RetryConfig, caCertFileField, connectionStringEndpoint, pipelineOptions, resolveConnectionString } from "./client-options.js";
import { AppConfigFlagStore } from "./appconfig-flag-store.js";

export const AzureAppConfigConfig = z
  .object({
    endpoint: z
      .string()
      .url()
      .optional()
      .describe("Store URL, e.g. https://<store>.azconfig.io, used with an Entra identity (role App Configuration Data Owner)."),
    connectionStringSecret: z
      .string()
      .min(1)
      .optional()
      .describe("Name of the secret or environment variable holding the store's connection string (Endpoint=…;Id=…;Secret=…), signed with HMAC."),
    mode: z
      .enum(["feature-flag", "key-value"])
      .default("feature-flag")
      .describe("`feature-flag`: `.appconfig.featureflag/<name>` in the Microsoft.FeatureManagement format (value true/false); `key-value`: a plain key."),
    label: z.string().optional().describe("Label of the flag's key (e.g. `production`); omitted means the null label."),
    keyPrefix: z.string().default("").describe("Prefix of key-value flag keys, e.g. `MyApp:` (key-value mode only)."),
    audience: z.string().url().optional().describe("Entra audience for sovereign clouds (default derived from the endpoint)."),
    auth: AuthOptions.optional(),
    retry: RetryConfig.optional(),
    caCertFile: caCertFileField,
  })
  .strict()
  .refine((c) => Boolean(c.endpoint) !== Boolean(c.connectionStringSecret), {
    message: "set exactly one of endpoint (with an Entra identity) or connectionStringSecret",
  })
  .describe("Azure App Configuration as the flag store (maintenance mode and friends).");
export type AzureAppConfigConfig = z.infer<typeof AzureAppConfigConfig>;

export function createAppConfigClient(config: AzureAppConfigConfig, ctx: ProviderContext): { client: AppConfigurationClient; storeName: string } {
  if (config.connectionStringSecret) {
    const cs = resolveConnectionString(ctx, config.connectionStringSecret, "azure-appconfig");
    const endpoint = connectionStringEndpoint(cs, "Endpoint") ?? "";
    const client = new AppConfigurationClient(cs, pipelineOptions(config.retry, config.caCertFile, ctx, endpoint));
    return { client, storeName: hostOf(endpoint) };
  }
  if (!config.endpoint) throw new CutoverError(ErrorCode.Config, "azure-appconfig: endpoint or connectionStringSecret is required");
  const client = new AppConfigurationClient(config.endpoint, getCredential(config.auth), {
    ...pipelineOptions(config.retry, config.caCertFile, ctx, config.endpoint),
    ...(config.audience ? { audience: config.audience } : {}),
  });
  return { client, storeName: hostOf(config.endpoint) };
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return "the App Configuration store";
  }
}

export const azureAppConfigProvider: ProviderDefinition<AzureAppConfigConfig, AppConfigFlagStore> = {
  kind: "azure-appconfig",
  summary: "Flags in Azure App Configuration (Microsoft.FeatureManagement feature flags or labelled key-values), ETag-conditional",
  config: AzureAppConfigConfig,
  capabilities: [Capability.flags],
  create(config, ctx) {
    const { client, storeName } = createAppConfigClient(config, ctx);
    return new AppConfigFlagStore({ client, mode: config.mode, label: config.label, keyPrefix: config.keyPrefix, storeName });
  },
};

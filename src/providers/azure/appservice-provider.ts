/**
 * `provider: azure-appservice`: the deployment slots of one or more App
 * Service web apps in a resource group (capability `appservice`), and the
 * production host's routing rules to the slots (capability `traffic-split`).
 *
 * The definition (schema, capabilities) loads without any @azure/* module;
 * create() imports the ARM client on demand, so a CLI call that uses no
 * App Service does not pay for loading the SDK.
 */
import { z } from "zod";
import { capability } from "../../core/capabilities.js";
import type { ProviderDefinition } from "../../core/provider.js";
import { TrafficSplit } from "../../core/traffic.js";
import type { AppServiceSlots } from "./appservice-client.js";
import { armEndpointField, clientFields, pollIntervalField } from "./connection-options.js";
import { ARM_ENDPOINT, connectOnDemand, scopeOf, signInPreflight } from "./lazy-provider.js";

/** Capability `appservice`: the azure.* actions' web apps and slots. */
export const AppService = capability<AppServiceSlots>("appservice");

const nameField = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9-]{0,59}$/, "an App Service name is 1-60 letters, digits and hyphens");

export const AzureAppServiceConfig = z
  .object({
    subscriptionId: z.string().min(1).describe("Subscription id of the web app(s)."),
    resourceGroup: z.string().min(1).describe("Resource group of the web app(s)."),
    app: nameField.optional().describe("The web app actions address when a step names none."),
    apps: z
      .array(nameField)
      .optional()
      .describe("Other web apps of this environment (documentation for matrix steps; steps pick one with `app`)."),
    slot: z.string().min(1).default("staging").describe("The deployment slot actions use when a step names none."),
    endpoint: armEndpointField,
    pollIntervalMs: pollIntervalField("Interval between polls of long-running operations (swap)."),
    preserveVnet: z
      .boolean()
      .default(true)
      .describe("Keep the virtual network integration of each slot when swapping."),
    ...clientFields,
  })
  .strict()
  .describe("Azure App Service deployment slots, through Azure Resource Manager.");
export type AzureAppServiceConfig = z.infer<typeof AzureAppServiceConfig>;

export const azureAppServiceProvider: ProviderDefinition<AzureAppServiceConfig, AppServiceSlots> = {
  kind: "azure-appservice",
  summary:
    "Azure App Service web apps and their deployment slots (deploy, settings, warm-up, swap, swap with preview, " +
    "start/stop)",
  config: AzureAppServiceConfig,
  capabilities: [AppService, TrafficSplit],
  preflight: signInPreflight((config) => scopeOf(config.endpoint ?? ARM_ENDPOINT)),
  create: connectOnDemand(async () => (await import("./appservice-connect.js")).connectAppService),
};

/**
 * `provider: azure-containerapps`: the revisions of one or more Azure
 * Container Apps (multiple revision mode) in a resource group. Capabilities
 * `containerapps` (azure.containerapp-deploy: a new revision at 0 %) and
 * `traffic-split` (traffic.shift: weights between revisions, by name or label).
 *
 * The definition loads without any @azure/* module; create() imports
 * @azure/arm-appcontainers on demand (containerapps-connect.ts).
 */
import { z } from "zod";
import { capability } from "../../core/capabilities.js";
import type { ProviderDefinition } from "../../core/provider.js";
import { TrafficSplit } from "../../core/traffic.js";
import { DAY } from "../../core/duration.js";
import type { ContainerAppRevisions } from "./containerapps-client.js";
import { armEndpointField, AT_MOST_A_DAY, clientFields, pollIntervalField } from "./connection-options.js";
import { ARM_ENDPOINT, connectOnDemand, scopeOf, signInPreflight } from "./lazy-provider.js";

/** Capability `containerapps`: deploy revisions of Container Apps. */
export const ContainerApps = capability<ContainerAppRevisions>("containerapps");

/** Container App names: 2-32 lower-case letters, digits and single hyphens, starting with a letter. */
const containerAppName = z
  .string()
  .regex(
    /^[a-z](?:[a-z0-9]|-(?!-)){0,30}[a-z0-9]$/,
    "a Container App name is 2-32 lower-case letters, digits and single hyphens, starting with a letter",
  );

export const AzureContainerAppsConfig = z
  .object({
    subscriptionId: z.string().min(1).describe("Subscription id of the container app(s)."),
    resourceGroup: z.string().min(1).describe("Resource group of the container app(s)."),
    app: containerAppName.optional().describe("The container app actions address when a step names none."),
    endpoint: armEndpointField,
    pollIntervalMs: pollIntervalField(
      "Interval between polls of long-running operations (updates) and of a new revision's state.",
    ),
    provisionTimeoutMs: z
      .number()
      .int()
      .min(0)
      .max(DAY, AT_MOST_A_DAY)
      .default(600_000)
      .describe("How long a new revision may take to become Provisioned."),
    ...clientFields,
  })
  .strict()
  .describe("Azure Container Apps revisions and their traffic weights, through Azure Resource Manager.");
export type AzureContainerAppsConfig = z.infer<typeof AzureContainerAppsConfig>;

export const azureContainerAppsProvider: ProviderDefinition<AzureContainerAppsConfig, ContainerAppRevisions> = {
  kind: "azure-containerapps",
  summary:
    "Azure Container Apps in multiple revision mode: deploy a revision at 0 % with a label, shift traffic " +
    "between revisions by weight",
  config: AzureContainerAppsConfig,
  capabilities: [ContainerApps, TrafficSplit],
  preflight: signInPreflight((config) => scopeOf(config.endpoint ?? ARM_ENDPOINT)),
  create: connectOnDemand(async () => (await import("./containerapps-connect.js")).connectContainerApps),
};

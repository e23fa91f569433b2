/**
 * `provider: azure-frontdoor`: the origin groups of one Azure Front Door
 * Standard/Premium profile (capability `frontdoor`), for switching traffic
 * between a blue and a green origin at the edge.
 *
 * The definition loads without any @azure/* module; create() imports
 * @azure/arm-cdn on demand (test/azure/lazy-load.test.ts).
 */
import { z } from "zod";
import { capability } from "../../core/capabilities.js";
import type { ProviderDefinition } from "../../core/provider.js";
import { clientFields, endpointField, pollIntervalField } from "./connection-options.js";
import type { FrontDoorOrigins } from "./frontdoor-client.js";
import { ARM_ENDPOINT, connectOnDemand, scopeOf, signInPreflight } from "./lazy-provider.js";

/** Capability `frontdoor`: the azure.frontdoor-switch action's origins. */
export const FrontDoor = capability<FrontDoorOrigins>("frontdoor");

export const AzureFrontDoorConfig = z
  .object({
    subscriptionId: z.string().min(1).describe("Subscription id of the Front Door profile."),
    resourceGroup: z.string().min(1).describe("Resource group of the Front Door profile."),
    profile: z.string().min(1).describe("The Front Door Standard/Premium profile (Microsoft.Cdn/profiles)."),
    endpoint: endpointField(
      "Azure Resource Manager endpoint (default https://management.azure.com); a local test server.",
    ),
    pollIntervalMs: pollIntervalField(
      "Interval between polls of origin updates and of their propagation (deploymentStatus).",
    ),
    ...clientFields,
  })
  .strict()
  .describe("Azure Front Door Standard/Premium origin groups, through Azure Resource Manager.");
export type AzureFrontDoorConfig = z.infer<typeof AzureFrontDoorConfig>;

export const azureFrontDoorProvider: ProviderDefinition<AzureFrontDoorConfig, FrontDoorOrigins> = {
  kind: "azure-frontdoor",
  summary: "Azure Front Door Standard/Premium origin groups (switch traffic from a blue origin to a green one)",
  config: AzureFrontDoorConfig,
  capabilities: [FrontDoor],
  preflight: signInPreflight((config) => scopeOf(config.endpoint ?? ARM_ENDPOINT)),
  create: connectOnDemand(async () => (await import("./frontdoor-connect.js")).connectFrontDoor),
};

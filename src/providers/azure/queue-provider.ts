/**
 * `provider: azure-queue`: an Azure Storage queue whose depth cutover watches
 * (capability `queue-depth`), e.g. to let the old version drain its in-flight
 * messages before a migration.
 *
 * The definition loads without any @azure/* module; create() imports the
 * client on demand (queue-connect.ts).
 */
import { z } from "zod";
import { QueueDepth } from "../../core/capabilities.js";
import type { ProviderDefinition } from "../../core/provider.js";
import type { QueueDepthClient } from "../../core/queue-depth.js";
import { AuthOptions, usesIdentity } from "./auth-options.js";
import { endpointField, RetryConfig } from "./connection-options.js";
import { connectOnDemand, signInPreflight, STORAGE_SCOPE } from "./lazy-provider.js";

export const AzureQueueConfig = z
  .object({
    queue: z
      .string()
      .regex(
        /^[a-z0-9](?:[a-z0-9]|-(?=[a-z0-9])){2,62}$/,
        "a queue name is 3-63 lower-case letters, digits and single hyphens",
      )
      .describe("Default queue name."),
    endpoint: endpointField(
      "Queue service URL, e.g. https://<account>.queue.core.windows.net, used with an Entra identity (role " +
        "Storage Queue Data Reader).",
    ),
    connectionStringSecret: z
      .string()
      .min(1)
      .optional()
      .describe(
        "Name of the secret or environment variable holding a storage connection string; used instead of " +
          "endpoint + identity when it is set.",
      ),
    auth: AuthOptions.optional(),
    retry: RetryConfig.optional(),
  })
  .strict()
  .refine((c) => Boolean(c.endpoint) || Boolean(c.connectionStringSecret), {
    message:
      "set endpoint (with an Entra identity), connectionStringSecret, or both (the connection string wins when " +
      "its secret is set)",
  })
  .describe("An Azure Storage queue to watch.");
export type AzureQueueConfig = z.infer<typeof AzureQueueConfig>;

export const azureQueueProvider: ProviderDefinition<AzureQueueConfig, QueueDepthClient> = {
  kind: "azure-queue",
  summary: "An Azure Storage queue whose approximate message count cutover can wait on (drain)",
  config: AzureQueueConfig,
  capabilities: [QueueDepth],
  preflight: signInPreflight((config, ctx) =>
    usesIdentity(config, ctx) && config.endpoint ? STORAGE_SCOPE : undefined,
  ),
  create: connectOnDemand(async () => (await import("./queue-connect.js")).createQueueDepthClient),
};

/**
 * `provider: azure-queue`: an Azure Storage queue whose depth cutover watches
 * (capability `queue`), e.g. to let the old version drain its in-flight
 * messages before a migration.
 */
import { QueueClient } from "@azure/storage-queue";
import { z } from "zod";
import { CutoverError, ErrorCode } from "../../errors.js";
import type { ProviderContext, ProviderDefinition } from "../../actions/types.js";
import { AuthOptions, getCredential } from "./credential.js";
import { RetryConfig, resolveConnectionString } from "./client-options.js";
import { azureCall } from "./errors.js";

export const AzureQueueConfig = z
  .object({
    queue: z.string().regex(/^[a-z0-9](?:[a-z0-9]|-(?=[a-z0-9])){2,62}$/, "a queue name is 3-63 lower-case letters, digits and single hyphens").describe("Default queue name."),
    endpoint: z.string().url().optional().describe("Queue service URL, e.g. https://<account>.queue.core.windows.net, used with an Entra identity (role Storage Queue Data Reader)."),
    connectionStringSecret: z.string().min(1).optional().describe("Name of the secret or environment variable holding a storage connection string."),
    auth: AuthOptions.optional(),
    retry: RetryConfig.optional(),
  })
  .strict()
  .refine((c) => Boolean(c.endpoint) !== Boolean(c.connectionStringSecret), {
    message: "set exactly one of endpoint (with an Entra identity) or connectionStringSecret",
  })
  .describe("An Azure Storage queue to watch.");
export type AzureQueueConfig = z.infer<typeof AzureQueueConfig>;

/** What queue actions need: the approximate depth of a queue. */
export interface QueueDepthClient {
  defaultQueue: string;
  approximateCount(queue?: string, options?: { signal?: AbortSignal }): Promise<number>;
}

export function createQueueDepthClient(config: AzureQueueConfig, ctx: ProviderContext): QueueDepthClient {
  const r = RetryConfig.parse(config.retry ?? {});
  const retryOptions = { maxTries: r.maxRetries + 1, retryDelayInMs: Math.max(1, r.retryDelayMs), maxRetryDelayInMs: Math.max(1, r.maxRetryDelayMs) };
  const clients = new Map<string, QueueClient>();
  const clientFor = (queue: string): QueueClient => {
    let c = clients.get(queue);
    if (!c) {
      if (config.connectionStringSecret) {
        c = new QueueClient(resolveConnectionString(ctx, config.connectionStringSecret, "azure-queue"), queue, { retryOptions });
      } else if (config.endpoint) {
        c = new QueueClient(`${config.endpoint.replace(/\/+$/, "")}/${queue}`, getCredential(config.auth), { retryOptions });
      } else {
        throw new CutoverError(ErrorCode.Config, "azure-queue: endpoint or connectionStringSecret is required");
      }
      clients.set(queue, c);
    }
    return c;
  };
  return {
    defaultQueue: config.queue,
    async approximateCount(queue = config.queue, options = {}) {
      const props = await azureCall({ service: "Queue Storage", operation: "read the queue depth", resource: `queue ${queue}` }, () =>
        clientFor(queue).getProperties({ abortSignal: options.signal }),
      );
      return props.approximateMessagesCount ?? 0;
    },
  };
}

export const azureQueueProvider: ProviderDefinition<AzureQueueConfig, QueueDepthClient> = {
  kind: "azure-queue",
  summary: "An Azure Storage queue whose approximate message count cutover can wait on (drain)",
  config: AzureQueueConfig,
  capabilities: ["queue"],
  create: (config, ctx) => createQueueDepthClient(config, ctx),
};
